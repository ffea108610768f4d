import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@lading/testkit';

// The bundled CLI, as the package's bin runs it.
export const mainJs = fileURLToPath(new URL('../dist/bundle/main.js', import.meta.url));
export const helloRootfs = fileURLToPath(new URL('../../../examples/hello-rootfs', import.meta.url));
export const examplePlugin = fileURLToPath(
  new URL('../../../examples/exporter-plugin/index.mjs', import.meta.url),
);

export interface LadingResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a whole process (whatever its exit code). */
export function lading(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LadingResult> {
  return run(process.execPath, [mainJs, ...args], {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
    allowFailure: true,
  });
}

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** An OCI layout written by hand: one image whose manifest and config are the given bytes. */
export async function handWrittenLayout(
  path: string,
  config: string,
  manifest?: (configDesc: object) => string,
): Promise<string> {
  await mkdir(join(path, 'blobs', 'sha256'), { recursive: true });
  const put = async (bytes: string) => {
    const d = sha256(bytes);
    await writeFile(join(path, 'blobs', 'sha256', d.slice(7)), bytes);
    return d;
  };
  const configDesc = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: await put(config),
    size: Buffer.byteLength(config),
  };
  const m =
    manifest?.(configDesc) ??
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDesc,
      layers: [],
    });
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: await put(m),
        size: Buffer.byteLength(m),
        annotations: { 'org.opencontainers.image.ref.name': 'base' },
      },
    ],
  };
  await writeFile(join(path, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(path, 'index.json'), JSON.stringify(index));
  return path;
}

/** The smallest image config: no layers. */
export const emptyConfig = (extra = {}) =>
  JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...extra });
