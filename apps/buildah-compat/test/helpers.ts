import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@lading/testkit';

// The bundled CLI, as the package's bin runs it.
export const mainJs = fileURLToPath(new URL('../dist/bundle/main.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built `lading-buildah` as a whole process with `--root ROOT` (whatever its exit code). Failures exit with
 * lading's detailed codes (LADING_BUILDAH_EXIT_CODES=detailed), so a test tells a not-found from a bad input; the
 * default, buildah's 125, is asserted in cli-errors.test.ts (pass `LADING_BUILDAH_EXIT_CODES: ''` to get it).
 */
export function ladingBuildah(
  root: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return run(process.execPath, [mainJs, '--root', root, ...args], {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: { ...process.env, LADING_BUILDAH_EXIT_CODES: 'detailed', ...options.env },
    allowFailure: true,
  });
}

/** Like `ladingBuildah`, but throws with stderr unless it exits 0; returns trimmed stdout. */
export async function lb(
  root: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const r = await ladingBuildah(root, args, options);
  if (r.code !== 0) throw new Error(`lading-buildah ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout.trim();
}

/** Real buildah on a private root: vfs storage, chroot isolation, no shared state. */
export async function buildah(
  base: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const r = await run(
    'buildah',
    ['--root', join(base, 'root'), '--runroot', join(base, 'run'), '--storage-driver', 'vfs', ...args],
    { env: { ...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' }, ...options },
  );
  return r.stdout.trim();
}

/** The blob a descriptor names in an OCI layout (or our storage's `blobs/`). */
export async function layoutBlob(layout: string, digest: string): Promise<Buffer> {
  return readFile(join(layout, 'blobs', ...digest.split(':')));
}

export async function layoutJson<T = Record<string, unknown>>(layout: string, digest: string): Promise<T> {
  return JSON.parse((await layoutBlob(layout, digest)).toString('utf8')) as T;
}

/** Entries of a tar blob as `tar tv --numeric-owner` lists them (GNU tar is the oracle, not our reader). */
export async function tarListing(file: string): Promise<string[]> {
  const r = await run('tar', ['--numeric-owner', '--full-time', '-tvf', file]);
  return r.stdout.split('\n').filter((l) => l !== '');
}
