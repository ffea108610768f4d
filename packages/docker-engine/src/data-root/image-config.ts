import { join } from 'node:path';
import { writeFileAtomic } from '@lading/content-store';
import { type Digest, digestEncoded, digestOf, InvalidInputError } from '@lading/digest';
import type { DataRootPaths } from './layout.js';

interface ConfigShape {
  readonly os?: unknown;
  readonly rootfs?: { readonly type?: unknown; readonly diff_ids?: unknown } | null;
  readonly history?: unknown;
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError('CONFIG_INVALID', `image config: ${message}`);
}

/**
 * The checks dockerd makes before it keeps a config (`image/image.go` NewFromJSON, `image/store.go` Create,
 * `image/tarexport/load.go`): a JSON object with a rootfs, a Linux image, no more non-empty history entries than
 * layers, and here also: its diff_ids are the layers being written, or the image would name a chain that is not
 * in the store.
 */
export function checkImageConfig(config: Uint8Array, diffIds: readonly Digest[]): void {
  let value: ConfigShape;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(config)) as ConfigShape;
  } catch (cause) {
    throw new InvalidInputError(
      'CONFIG_INVALID',
      `image config is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('not a JSON object');
  if (value.rootfs === undefined || value.rootfs === null || typeof value.rootfs !== 'object')
    throw invalid('invalid image JSON, no RootFS key');
  const os = value.os ?? '';
  if (os !== '' && os !== 'linux') throw invalid(`cannot load ${String(os)} image on linux`);
  const listed = value.rootfs.diff_ids ?? [];
  if (!Array.isArray(listed) || listed.length !== diffIds.length || listed.some((d, i) => d !== diffIds[i])) {
    throw invalid(
      `rootfs.diff_ids (${Array.isArray(listed) ? listed.length : 'not a list'}) are not the ${diffIds.length} layer(s) being written`,
    );
  }
  const history = Array.isArray(value.history) ? value.history : [];
  const nonEmpty = history.filter((h) => !(h as { empty_layer?: unknown })?.empty_layer).length;
  if (nonEmpty > diffIds.length) throw invalid('too many non-empty layers in History section');
}

/** `imagedb/content/sha256/<id>`: the config bytes under their digest, the image ID (mode 0600, as moby). */
export async function writeImageConfig(paths: DataRootPaths, config: Uint8Array): Promise<Digest> {
  const id = digestOf(config);
  await writeFileAtomic(join(paths.imageContent, digestEncoded(id)), config, { mode: 0o600 });
  return id;
}
