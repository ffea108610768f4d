import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Digest,
  digestAlgorithm,
  digestEncoded,
  InvalidInputError,
  maxSignatureBytes,
  RegistryError,
  redactUrl,
} from '@lading/digest';
import { decodeSignatureBlob, encodeSignatureBlob, type ImageSignature } from './signature.js';

/** containers/image's cap on one signature (`internal/iolimits` MaxSignatureBodySize), from `@lading/digest`. */
export { maxSignatureBytes };

/** `<base>@sha256=<hex>/signature-<n>` (containers/image `docker/registries_d.go`, docs/signature-protocols.md). */
export function lookasideUrl(base: URL, manifestDigest: Digest, index: number): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname}@${digestAlgorithm(manifestDigest)}=${digestEncoded(manifestDigest)}/signature-${index + 1}`;
  return url;
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readCapped(path: string): Promise<Uint8Array | undefined> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (fh === undefined) return undefined;
  try {
    const { size } = await fh.stat();
    if (size > maxSignatureBytes)
      throw new InvalidInputError(
        'SIGNATURE_TOO_LARGE',
        `${path}: ${size} bytes, more than a signature can be`,
      );
    return new Uint8Array(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/**
 * Writes the signatures of one manifest as `signature-1..N` under a lookaside base (file: URLs only, as
 * containers/image: http(s) lookasides are read-only, write to a `lookaside-staging` directory), then removes
 * `signature-N+1...` left from before, as containers/image's putSignaturesToLookaside does. Each file appears whole.
 */
export async function writeLookasideSignatures(
  base: URL,
  manifestDigest: Digest,
  signatures: readonly ImageSignature[],
): Promise<string[]> {
  if (base.protocol !== 'file:') {
    throw new InvalidInputError(
      'LOOKASIDE_NOT_WRITABLE',
      `writing directly to a ${base.protocol.replace(':', '')} lookaside ${redactUrl(base.href)} is not supported: configure a lookaside-staging: location`,
    );
  }
  const written: string[] = [];
  for (const [i, sig] of signatures.entries()) {
    const path = fileURLToPath(lookasideUrl(base, manifestDigest, i));
    await writeAtomically(path, encodeSignatureBlob(sig));
    written.push(path);
  }
  for (let i = signatures.length; ; i++) {
    const path = fileURLToPath(lookasideUrl(base, manifestDigest, i));
    const existed = await readFile(path).then(
      () => true,
      () => false,
    );
    if (!existed) break;
    await rm(path, { force: true });
  }
  return written;
}

/** Reads `signature-1`, `signature-2`, ... from a lookaside (file:, http:, https:) until the first missing one. */
export async function readLookasideSignatures(
  base: URL,
  manifestDigest: Digest,
  options: { signal?: AbortSignal } = {},
): Promise<ImageSignature[]> {
  const out: ImageSignature[] = [];
  for (let i = 0; ; i++) {
    const url = lookasideUrl(base, manifestDigest, i);
    const blob = await readOne(url, options.signal);
    if (blob === undefined) return out;
    out.push(decodeSignatureBlob(blob, `signature ${redactUrl(url.href)}`));
  }
}

async function readOne(url: URL, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  if (url.protocol === 'file:') return readCapped(fileURLToPath(url));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(
      'LOOKASIDE_SCHEME',
      `unsupported scheme when reading signature from ${redactUrl(url.href)}`,
    );
  }
  let res: Response;
  try {
    res = await fetch(url, { ...(signal ? { signal } : {}) });
  } catch (cause) {
    throw new RegistryError(
      'LOOKASIDE_UNREACHABLE',
      `reading signature from ${redactUrl(url.href)}: ${(cause as Error).message}`,
      {
        cause,
        url: url.href,
      },
    );
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new RegistryError(
      'LOOKASIDE_STATUS',
      `reading signature from ${redactUrl(url.href)}: status ${res.status}`,
      {
        status: res.status,
        url: url.href,
      },
    );
  }
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.byteLength;
    if (n > maxSignatureBytes) {
      await res.body?.cancel().catch(() => {});
      throw new InvalidInputError(
        'SIGNATURE_TOO_LARGE',
        `signature ${redactUrl(url.href)}: more than ${maxSignatureBytes} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * `dir:` images keep their signatures beside manifest.json as `signature-1..N`, and an instance of a list's as
 * `<hex>.signature-N` (containers/image `directory/directory_transport.go`).
 */
export async function writeDirSignatures(
  dir: string,
  signatures: readonly ImageSignature[],
  options: { instance?: Digest } = {},
): Promise<string[]> {
  const written: string[] = [];
  const prefix = options.instance !== undefined ? `${digestEncoded(options.instance)}.` : '';
  for (const [i, sig] of signatures.entries()) {
    const path = join(dir, `${prefix}signature-${i + 1}`);
    await writeAtomically(path, encodeSignatureBlob(sig));
    written.push(path);
  }
  return written;
}

export async function readDirSignatures(dir: string): Promise<ImageSignature[]> {
  const out: ImageSignature[] = [];
  for (let i = 1; ; i++) {
    const path = join(dir, `signature-${i}`);
    const blob = await readCapped(path);
    if (blob === undefined) return out;
    out.push(decodeSignatureBlob(blob, path));
  }
}
