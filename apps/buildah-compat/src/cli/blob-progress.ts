import { binarySize } from '@lading/cli-support';
import type { BlobBytes } from '@lading/transports';
import { printableLine } from './report-error.js';

export interface BlobProgressPrinter {
  /** A report line (`Copying blob sha256:…`): on a terminal it replaces the byte line in progress. */
  line(message: string): void;
  /** A blob's bytes so far: shown on a terminal only, one line rewritten in place (a log gets lines alone). */
  bytes(event: BlobBytes): void;
}

/**
 * Pull progress as buildah shows it: a line per blob, and on a terminal the bytes of the blob moving (with its
 * share of the total and the rate), as containers/image's progress bars do.
 */
export function blobProgressPrinter(
  stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'> = process.stderr,
  now: () => number = () => performance.now(),
): BlobProgressPrinter {
  const started = new Map<string, number>();
  let pending = false;
  const clear = () => {
    if (pending) stream.write('\r\x1b[2K');
    pending = false;
  };
  return {
    line(message) {
      clear();
      stream.write(printableLine(message));
    },
    bytes({ digest, bytes, total }) {
      if (!stream.isTTY) return;
      const at = started.get(digest) ?? now();
      started.set(digest, at);
      const secs = Math.max((now() - at) / 1000, 0.001);
      const width = 20;
      const bar =
        total > 0 ? `[${'='.repeat(Math.round(Math.min(bytes / total, 1) * width)).padEnd(width)}] ` : '';
      const text = `Copying blob ${digest.slice(0, 19)} ${bar}${binarySize(bytes)} / ${binarySize(total)} (${binarySize(bytes / secs)}/s)`;
      stream.write(`\r\x1b[2K${text.slice(0, Math.max((stream.columns ?? 100) - 1, 20))}`);
      pending = true;
    },
  };
}
