import { exitCodeFor, isLadingError, printable } from '@lading/digest';

export interface ErrorReportOptions {
  /** What starts the first line: `lading: `, `Error: `. */
  readonly prefix: string;
  /** Add the stack of the error and of each cause (a CLI's `--debug`). */
  readonly debug?: boolean;
}

/** Causes followed at most: a cause chain is data too, and may loop. */
const maxCauses = 8;

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') {
    return (error as Error).message;
  }
  return String(error);
}

/** A cause worth a line: a lading error, or one with a code a user can look up (ECONNREFUSED, ENOENT...). */
function isTyped(error: unknown): boolean {
  return isLadingError(error) || typeof (error as { code?: unknown } | null)?.code === 'string';
}

function causesOf(error: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>([error]);
  let current = (error as { cause?: unknown } | null)?.cause;
  while (current !== undefined && current !== null && !seen.has(current) && out.length < maxCauses) {
    out.push(current);
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/**
 * What a CLI prints for a failed command: `<prefix><message>`, then a `caused by:` line for each typed cause whose
 * message the line above does not already say (under a network error, lading's causes only). A lading error is the user's to read; anything else is a bug or an
 * unforeseen failure, so it says so and how to see more. Every piece of text goes through `printable`: messages
 * carry what registries, daemons and files said. With `debug`, the stacks follow.
 */
export function formatErrorReport(error: unknown, options: ErrorReportOptions): string {
  const lines: string[] = [];
  const message = printable(messageOf(error)) || (error instanceof Error ? error.name : 'unknown error');
  const unexpected = exitCodeFor(error) === 1;
  const hint = options.debug ? '' : ' (rerun with --debug or LADING_DEBUG=1 for the details)';
  // A network failure Node raised is no surprise, lading error or not (exitCodeFor gives it 5).
  if (isLadingError(error) || !unexpected) lines.push(`${options.prefix}${message}${unexpected ? hint : ''}`);
  else lines.push(`${options.prefix}unexpected error: ${message}${hint}`);
  let said = message;
  const causes = causesOf(error);
  // lading's network errors (exit 5) are written from the system error under them (host, port, what to check), so
  // its ECONNREFUSED would only say the same again: a refused connection is one line, as the CLIs promise.
  const saysSystemCause = isLadingError(error) && exitCodeFor(error) === 5;
  for (const cause of causes) {
    if (!options.debug && !isTyped(cause)) continue;
    if (!options.debug && saysSystemCause && !isLadingError(cause)) continue;
    const text = printable(messageOf(cause));
    if (text === '' || said.includes(text)) continue;
    lines.push(`  caused by: ${text}`);
    said = text;
  }
  if (options.debug) {
    for (const e of [error, ...causes]) {
      const stack = (e as { stack?: unknown } | null)?.stack;
      if (typeof stack === 'string') lines.push(printable(stack, { keepNewlines: true }));
    }
  }
  return `${lines.join('\n')}\n`;
}
