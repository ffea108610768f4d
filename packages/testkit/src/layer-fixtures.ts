import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type { RawTarEntry } from './hostile-tar.js';
export { rawTar } from './hostile-tar.js';
export type { TreeSnapshotEntry } from './tree-fixture.js';
export {
  fixtureTime,
  makeTreeFixture,
  pinTreeTimes,
  snapshotTree,
  treeContents,
} from './tree-fixture.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TestImageLayer {
  /** The blob as stored (plain, gzip or zstd). */
  readonly blob: Uint8Array;
  readonly mediaType: string;
  /** sha256 of the uncompressed tar; a peer that unpacks the image checks it. */
  readonly diffId: string;
}

/**
 * Writes a one-platform image of `layers` (lowest first) into an OCI layout at `dir` (created if needed; blobs
 * already there are kept), with a minimal config, tagged `ref` in index.json. Digests are computed here with
 * node:crypto, independently of any package under test, so a peer (umoci, skopeo) can read the image.
 */
export function writeTestImage(dir: string, layers: readonly TestImageLayer[], ref = 'test'): void {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), bytes);
    return { digest, size: bytes.length };
  };
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({ mediaType: l.mediaType, ...put(l.blob) })),
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': ref },
        },
      ],
    }),
  );
}

/** A plain tar blob as a test image layer (its diffID is its own sha256). */
export function plainLayer(tar: Uint8Array): TestImageLayer {
  return { blob: tar, mediaType: 'application/vnd.oci.image.layer.v1.tar', diffId: sha256(tar) };
}

/**
 * Unpacks image `ref` of the layout at `dir` with `umoci unpack --rootless` into `bundle` (which must not exist)
 * and returns the root filesystem's path. umoci checks every layer's diffID against the config while it unpacks.
 */
export function umociUnpack(dir: string, ref: string, bundle: string): string {
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${dir}:${ref}`, bundle], { stdio: 'pipe' });
  return join(bundle, 'rootfs');
}
