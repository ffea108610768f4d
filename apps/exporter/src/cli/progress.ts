import { binarySize } from '@lading/cli-support';
import type { ExportLogger, ExportProgress } from '../plugin/types.js';

export type ProgressMode = 'auto' | 'plain' | 'tty' | 'json' | 'quiet';

export interface ProgressReporter extends ExportProgress, ExportLogger {
  /** Byte progress of a named transfer (layer build, push). */
  bytes(id: string, name: string, current: number, total?: number): void;
  /** A step a cache answered: `#N name` then `#N CACHED`, as BuildKit marks a cache hit. */
  cached(id: string, name: string): void;
  close(): void;
}

/** Progress on stderr: bars with bytes and rates on a TTY, plain lines, JSON lines, or nothing. */
export function createProgress(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const resolved = mode === 'auto' ? (stream.isTTY ? 'tty' : 'plain') : mode;
  const started = new Map<string, { n: number; at: number; name: string }>();
  let seq = 0;
  let lastTty = 0;
  const lastBytes = new Map<string, number>();
  const elapsed = (id: string) => {
    const s = started.get(id);
    return s ? ((performance.now() - s.at) / 1000).toFixed(1) : '0.0';
  };
  const emit = (o: Record<string, unknown>) =>
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...o })}\n`);
  const clearLine = () => {
    if (resolved === 'tty' && lastTty > 0) {
      stream.write('\r\x1b[2K');
      lastTty = 0;
    }
  };
  return {
    start(id, name) {
      started.set(id, { n: ++seq, at: performance.now(), name });
      if (resolved === 'json') emit({ event: 'start', id, name });
      else if (resolved !== 'quiet') {
        clearLine();
        stream.write(`#${seq} ${name}\n`);
      }
    },
    update(id, current, total) {
      if (resolved === 'json') emit({ event: 'update', id, current, total });
    },
    done(id, error) {
      const s = started.get(id);
      if (resolved === 'json')
        emit({ event: 'done', id, ...(error ? { error: String((error as Error).message ?? error) } : {}) });
      else if (resolved !== 'quiet' && s) {
        clearLine();
        stream.write(`#${s.n} ${error ? 'ERROR' : 'DONE'} ${elapsed(id)}s\n`);
      }
    },
    bytes(id, name, current, total) {
      if (resolved === 'quiet' || resolved === 'plain') return;
      // a few reports a second are enough; one per chunk would cost the hot path
      const now = performance.now();
      if (now - (lastBytes.get(id) ?? -Infinity) < 100 && (total === undefined || current < total)) return;
      lastBytes.set(id, now);
      if (resolved === 'json') emit({ event: 'bytes', id, name, current, total });
      else if (resolved === 'tty') {
        const s = started.get(id) ?? { n: 0, at: performance.now(), name };
        if (!started.has(id)) started.set(id, s);
        const secs = Math.max((performance.now() - s.at) / 1000, 0.001);
        const width = 24;
        const frac = total ? Math.min(current / total, 1) : 0;
        const bar = total ? `[${'='.repeat(Math.round(frac * width)).padEnd(width)}] ` : '';
        const line = `${name} ${bar}${binarySize(current)}${total ? ` / ${binarySize(total)}` : ''} ${binarySize(current / secs)}/s`;
        stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
        lastTty = 1;
      }
    },
    cached(id, name) {
      if (resolved === 'json') emit({ event: 'cached', id, name });
      else if (resolved !== 'quiet') {
        clearLine();
        stream.write(`#${++seq} ${name}\n#${seq} CACHED\n`);
      }
    },
    warn(message) {
      if (resolved === 'json') emit({ event: 'warning', message });
      else if (resolved !== 'quiet') {
        clearLine();
        stream.write(`WARNING: ${message}\n`);
      }
    },
    debug(message) {
      if (resolved === 'json') emit({ event: 'debug', message });
    },
    close() {
      clearLine();
    },
  };
}
