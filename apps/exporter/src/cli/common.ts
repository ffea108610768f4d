import { rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { OptionError } from '@lading/digest';
// the parser alone: the package's root would load its archive readers and writers (tar, gzip) with it
import { parseImageReference } from '@lading/transports/reference';
import type { ImageLocation } from '../operations/image-location.js';
import { createProgress, type ProgressMode, type ProgressReporter } from './progress.js';

/** The lading store: $LADING_STORE, else $XDG_DATA_HOME/lading/store, else ~/.local/share/lading/store. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LADING_STORE) return resolve(env.LADING_STORE);
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'lading', 'store');
}

/** The data-root for type=moby: $LADING_MOBY_ROOT; undefined (the running Docker Engine) when it is not set. */
export function defaultMobyRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.LADING_MOBY_ROOT ? resolve(env.LADING_MOBY_ROOT) : undefined;
}

export const commonOptions = {
  store: { type: 'string' },
  progress: { type: 'string', default: 'auto' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export function progressFrom(value: string | undefined): ProgressReporter {
  // buildx spells the JSON stream `rawjson`
  const mode = value === 'rawjson' ? 'json' : (value ?? 'auto');
  if (!['auto', 'plain', 'tty', 'json', 'quiet'].includes(mode)) {
    throw new OptionError(
      'PROGRESS_MODE',
      `--progress=${mode}: use auto, plain, tty, json (rawjson) or quiet`,
      {
        key: 'progress',
      },
    );
  }
  return createProgress(mode as ProgressMode);
}

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * An exporter response as scripts read it, one shape for `--json` and `--metadata-file`: as buildctl writes its
 * metadata file (cmd/buildctl/build.go), a value that is base64 of a non-empty JSON object (the
 * `containerimage.descriptor`) is that object; every other value stays the string it is. Keys in Go's map order.
 */
export function decodeResponse(response: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(response).sort()) {
    const value = response[key] as string;
    out[key] = value;
    if (value === '' || !strictBase64.test(value)) continue;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
      if (
        parsed !== null &&
        typeof parsed === 'object' &&
        !Array.isArray(parsed) &&
        Object.keys(parsed).length > 0
      )
        out[key] = parsed;
    } catch {
      // not JSON: the string it is
    }
  }
  return out;
}

/** `--metadata-file F`: the merged response, decoded as `decodeResponse` does, written whole (temp + rename). */
export async function writeMetadataFile(
  path: string | undefined,
  response: Readonly<Record<string, string>>,
): Promise<void> {
  if (path === undefined) return;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, `${JSON.stringify(decodeResponse(response), null, 2)}\n`);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * `oci:DIR[:TAG]`, `docker://REF`, `containerd://NAME` (an image record in containerd), a name in the lading store, or
 * another transport of containers-transports(5) (`oci-archive:`, `docker-archive:`, `dir:`, `docker-daemon:`), parsed
 * as lading-buildah parses it. Anything else (an unknown transport, `Foo/Bar`) is a usage error naming the transports.
 */
export function parseImageLocation(s: string): ImageLocation {
  if (s.startsWith('docker://')) return { kind: 'docker', ref: s.slice('docker://'.length) };
  if (s.startsWith('containerd://')) {
    const name = s.slice('containerd://'.length);
    if (name === '') throw new OptionError('LOCATION_EMPTY', 'containerd:// needs an image name', {});
    return { kind: 'containerd', name };
  }
  if (s === '') throw new OptionError('LOCATION_EMPTY', 'empty image location', {});
  const ref = parseImageReference(s);
  // containers-storage: is lading-buildah's local store; here that is the lading store
  if (ref.transport === 'containers-storage') return { kind: 'store', name: ref.name };
  if (ref.transport === 'docker') return { kind: 'docker', ref: ref.ref };
  // The one oci:DIR[:TAG] parser (transports'): the path ends at the first colon, as containers/image has it.
  if (ref.transport === 'oci') return { kind: 'oci', dir: resolve(ref.dir), tag: ref.ref };
  return { kind: 'transport', ref };
}

export function printResult(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}
