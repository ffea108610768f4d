import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { type RunResult, run } from './run.js';

/** The first ```ts block of a README: the package's main example. */
export function firstTsBlock(markdown: string): string {
  const m = /^```ts\n([\s\S]*?)^```/m.exec(markdown);
  if (!m) throw new Error('the README has no ```ts block');
  return m[1] as string;
}

/**
 * Compiles the main example of `packageDir`'s README and runs it with Node in `cwd`, so an example that no longer
 * compiles or runs fails a test. The compiled file is written into the package directory, where its imports of the
 * package (by its own name) and of its dependencies resolve as a user's would; it is removed afterwards. `env`
 * (default this process's) is the example's environment, e.g. the address of a peer a README example talks to.
 */
export async function runReadmeExample(
  packageDir: string,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const source = firstTsBlock(await readFile(join(packageDir, 'README.md'), 'utf8'));
  const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
  const file = join(packageDir, `.readme-example-${randomUUID()}.mjs`);
  await writeFile(file, code);
  try {
    return await run(process.execPath, [file], {
      cwd: options.cwd,
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
  } finally {
    await rm(file, { force: true });
  }
}
