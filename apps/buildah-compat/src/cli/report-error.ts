import { exitCodeFor, formatErrorReport, isLadingError, printable } from '@lading/digest';

export interface ReportOptions {
  /** `--debug` or LADING_DEBUG: stacks too. */
  readonly debug?: boolean;
  /** SIGINT or SIGTERM came: whatever failed after that is the interruption. */
  readonly interrupted?: boolean;
}

/**
 * The one place `lading-buildah` prints a failure: `Error: <message>` as buildah prints it, `caused by:` lines,
 * terminal controls stripped, a stack only with `--debug`. Returns the exit code (DESIGN §6).
 */
export function reportError(error: unknown, options: ReportOptions = {}): number {
  if (options.interrupted || (error as Error | null)?.name === 'AbortError') {
    process.stderr.write('Error: interrupted\n');
    return 130;
  }
  process.stderr.write(formatErrorReport(error, { prefix: 'Error: ', debug: options.debug ?? false }));
  return isLadingError(error) && error.kind === 'option' ? 2 : exitCodeFor(error);
}

/** One line of progress or of a partial failure, safe for a terminal (it may quote a registry or a file). */
export function printableLine(text: string): string {
  return `${printable(text)}\n`;
}
