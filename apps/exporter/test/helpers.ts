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
