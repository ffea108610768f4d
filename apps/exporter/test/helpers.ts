import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const mainJs = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
export const helloRootfs = fileURLToPath(new URL('../../../examples/hello-rootfs', import.meta.url));
export const examplePlugin = fileURLToPath(
  new URL('../../../examples/exporter-plugin/index.mjs', import.meta.url),
);

export interface LadingResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a whole process. */
export function lading(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LadingResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}
