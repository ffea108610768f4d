import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { InvalidInputError } from '@lading/digest';

/**
 * The zstd command to compress with, or undefined for the in-process binding: `$LADING_ZSTD` (a path, or `off`),
 * else `zstd` on `PATH`. The CLI's multi-threaded mode reads, compresses and writes on threads of its own, about a
 * quarter faster than the binding on the same cores; its bytes do not depend on the thread count.
 */
export function zstdCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.LADING_ZSTD;
  if (set === 'off') return undefined;
  if (set !== undefined && set !== '') return set;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'zstd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Compresses a byte stream with the zstd CLI (`zstd -LEVEL -T<workers> -c`, stdin to stdout): one frame, the
 * content checksum on, as `tar | zstd -3 -T2` writes it. Each input chunk is handed to the pipe before the next
 * is pulled, so a producer may reuse a chunk once the next one is asked for. A command that fails is an
 * `InvalidInputError` (`ZSTD_FAILED`) with its own words.
 */
export async function* zstdThroughCli(
  source: AsyncIterable<Uint8Array>,
  options: {
    readonly command: string;
    readonly level: number;
    readonly workers: number;
    readonly signal?: AbortSignal;
  },
): AsyncGenerator<Uint8Array> {
  options.signal?.throwIfAborted();
  const args = [
    `-${options.level}`,
    ...(options.level > 19 ? ['--ultra'] : []),
    `-T${options.workers}`,
    '-c',
    '-q',
  ];
  const child = spawn(options.command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 16) stderr.push(b);
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  const failed = (why: string, cause?: unknown) =>
    new InvalidInputError(
      'ZSTD_FAILED',
      `${options.command} ${args.join(' ')}: ${why}; set LADING_ZSTD=off to compress in-process`,
      cause !== undefined ? { cause } : {},
    );
  // What went wrong on our side (the tar: a file that changed, an abort), and a pipe the command closed.
  let sourceError: unknown;
  let pipeError: Error | undefined;
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        options.signal?.throwIfAborted();
        const wrote = await new Promise<Error | undefined>((resolve) =>
          child.stdin.write(chunk, (e) => resolve(e ?? undefined)),
        );
        if (wrote !== undefined) {
          pipeError = wrote;
          return;
        }
      }
      child.stdin.end();
    } catch (error) {
      sourceError = error;
      child.kill('SIGKILL');
    }
  })();
  // A closed pipe shows as EPIPE on stdin: the reason is the command's exit, reported below.
  child.stdin.on('error', () => {});
  let done = false;
  try {
    for await (const out of child.stdout) {
      options.signal?.throwIfAborted();
      yield out as Buffer;
    }
    await pump;
    const { code, error } = await exited;
    if (error) throw failed(error.message, error);
    if (sourceError !== undefined) throw sourceError;
    if (code !== 0) {
      const words = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] ?? '';
      throw failed(`exit ${code}${words ? `: ${words}` : ''}`);
    }
    if (pipeError !== undefined) throw failed(pipeError.message, pipeError);
    done = true;
  } finally {
    if (!done) {
      child.kill('SIGKILL');
      await pump;
    }
  }
}
