import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OptionError } from '@lading/digest';
import type { ExportEnv } from '../plugin/types.js';

/** Bytes written in order to a file or stdout; nothing of a file is visible under its name before `commit`. */
export interface OutputSink {
  write(data: Uint8Array): Promise<void>;
  /** Flushes; a file is fsynced and renamed into place. */
  commit(): Promise<void>;
  /** Drops what was written (a file's temp is removed; bytes already on stdout are gone). */
  abort(): Promise<void>;
}

const chunkSize = 1 << 20;

/** Gathers small writes (tar headers) into 1 MiB chunks, so a tree of small files costs few writes. */
function buffered(flush: (chunk: Uint8Array) => Promise<void>): Pick<OutputSink, 'write'> & {
  drain(): Promise<void>;
} {
  let buf = Buffer.allocUnsafe(chunkSize);
  let pos = 0;
  return {
    async write(data) {
      if (data.byteLength >= chunkSize) {
        if (pos > 0) await this.drain();
        await flush(data);
        return;
      }
      if (pos + data.byteLength > chunkSize) await this.drain();
      buf.set(data, pos);
      pos += data.byteLength;
    },
    async drain() {
      if (pos === 0) return;
      const out = buf.subarray(0, pos);
      buf = Buffer.allocUnsafe(chunkSize);
      pos = 0;
      await flush(out);
    },
  };
}

function writeStream(stream: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    stream.write(chunk, (error?: Error | null) => (error ? reject(error) : resolvePromise()));
  });
}

/** Whether `dest` names stdout, as buildx spells it. */
export function isStdoutDest(dest: string | undefined): boolean {
  return dest === '-';
}

/**
 * Opens an exporter's file output: `dest=-` is the stdout the host gave (`ExportEnv.stdout`), anything else a path
 * written through a temp file beside it and renamed into place on commit.
 */
export async function openOutputFile(dest: string, env: ExportEnv, type: string): Promise<OutputSink> {
  if (isStdoutDest(dest)) {
    const stdout = env.stdout;
    if (stdout === undefined) {
      throw new OptionError(
        'STDOUT_UNAVAILABLE',
        `type=${type},dest=-: no stdout to write to; give dest=FILE`,
        {
          key: 'dest',
        },
      );
    }
    const sink = buffered((chunk) => writeStream(stdout, chunk));
    return { write: (d) => sink.write(d), commit: () => sink.drain(), abort: async () => {} };
  }
  const path = resolve(env.cwd, dest);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  const sink = buffered(async (chunk) => {
    await fh.write(chunk);
  });
  return {
    write: (d) => sink.write(d),
    async commit() {
      try {
        await sink.drain();
        await fh.sync();
      } catch (error) {
        await fh.close();
        await rm(tmp, { force: true });
        throw error;
      }
      await fh.close();
      await rename(tmp, path);
    },
    async abort() {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}
