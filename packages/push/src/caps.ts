import {
  IntegrityError,
  InvalidInputError,
  type LadingError,
  maxConfigBytes,
  maxManifestBytes,
  RegistryError,
} from '@lading/digest';
import { type HttpResponse, header } from './http.js';

/** The caps of everything `@lading/push` reads whole, defined once. */
export const caps = {
  /** Manifests, indexes and referrers lists: what `@lading/manifest` decodes (4 MiB). */
  manifest: maxManifestBytes,
  /** Image configs: what `@lading/image-config` parses (8 MiB). */
  config: maxConfigBytes,
  /** A token server's answer. */
  token: 1024 * 1024,
  /** A registry's error body: only its codes and messages are kept. */
  errorBody: 64 * 1024,
} as const;

/** Makes the error for content over its cap: a message in, a typed error out. */
export type TooLarge = (message: string) => LadingError;

/** Content a caller asked for (a manifest, a config) is over its cap: the image is unusable here, exit 3. */
export const contentTooLarge =
  (code: string): TooLarge =>
  (message) =>
    new InvalidInputError(code, message);

/** A protocol answer (a token, an error body) is over its cap: the registry misbehaves, exit 5. */
export const responseTooLarge =
  (code: string): TooLarge =>
  (message) =>
    new RegistryError(code, message);

export interface CappedRead {
  /** What is read, for messages (`manifest app:1`). */
  readonly what: string;
  readonly cap: number;
  /** The size a descriptor declares: the read stops there, and a body of another size is an IntegrityError. */
  readonly declared?: number;
  readonly tooLarge: TooLarge;
}

/** Refuses a declared size over the cap: called before a request is sent, so not a byte is read. */
export function checkDeclaredSize(read: CappedRead): void {
  if (read.declared !== undefined && read.declared > read.cap) {
    throw read.tooLarge(`${read.what} is ${read.declared} bytes, over the ${read.cap}-byte cap`);
  }
}

/**
 * Reads a response body whole, never more than `min(declared, cap)` bytes: a Content-Length or a declared size
 * over the cap is refused before a byte is read, and a body that runs past its limit is cut off there.
 */
export async function readCapped(res: HttpResponse, read: CappedRead): Promise<Uint8Array> {
  const { what, cap, declared } = read;
  const refuse = (err: Error): never => {
    res.body.destroy();
    throw err;
  };
  if (declared !== undefined && declared > cap) checkDeclaredSize(read);
  const length = contentLength(res);
  if (length !== undefined && length > cap) {
    refuse(read.tooLarge(`${what} is ${length} bytes (Content-Length), over the ${cap}-byte cap`));
  }
  if (length !== undefined && declared !== undefined && length !== declared) {
    refuse(sizeMismatch(what, declared, String(length)));
  }
  const limit = declared === undefined ? cap : Math.min(declared, cap);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    n += chunk.byteLength;
    if (n > limit) {
      refuse(
        declared === undefined || declared > cap
          ? read.tooLarge(`${what} is more than the ${cap}-byte cap`)
          : sizeMismatch(what, declared, `more than ${declared}`),
      );
    }
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function sizeMismatch(what: string, declared: number, actual: string): IntegrityError {
  return new IntegrityError(
    'SIZE_MISMATCH',
    `${what}: the registry sends ${actual} bytes, its descriptor says ${declared}`,
    { expected: String(declared), actual },
  );
}

function contentLength(res: HttpResponse): number | undefined {
  const raw = header(res, 'content-length');
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}
