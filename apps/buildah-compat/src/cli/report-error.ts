import { formatErrorReport } from '@lading/cli-support';
import { exitCodeFor, isLadingError, isOptionError, printable } from '@lading/digest';

export interface ReportOptions {
  /** `--debug` or LADING_DEBUG: stacks too. */
  readonly debug?: boolean;
  /** `--log-level`: at debug, a line naming the error's class, code and lading's exit code. */
  readonly logLevel?: string | undefined;
  /** LADING_BUILDAH_EXIT_CODES=detailed: exit with lading's codes (DESIGN §6) instead of buildah's 125. */
  readonly detailedExitCodes?: boolean;
  /** SIGINT or SIGTERM came: whatever failed after that is the interruption. */
  readonly interrupted?: boolean;
}

/** buildah's exit code for a failure of its own (cmd/buildah/main.go: `exitCode = 125` unless a command set one). */
export const buildahFailureExit = 125;

/** lading's exit code for an error (DESIGN §6): 2 usage, 3 bad input, 4 not found, 5 registry, 6 integrity, 1 else. */
export function detailedExitCode(error: unknown): number {
  return isOptionError(error) ? 2 : exitCodeFor(error);
}

/** Whether LADING_BUILDAH_EXIT_CODES asks for lading's detailed exit codes. */
export function wantsDetailedExitCodes(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LADING_BUILDAH_EXIT_CODES === 'detailed';
}

/**
 * The one place `lading-buildah` prints a failure: `Error: <message>` as buildah prints it, `caused by:` lines,
 * terminal controls stripped, a stack only with `--debug`. Returns 125 as buildah does for its own errors (130 when
 * interrupted); the typed detail stays in the message, in a `--log-level=debug` line, and in the exit code with
 * LADING_BUILDAH_EXIT_CODES=detailed.
 */
export function reportError(error: unknown, options: ReportOptions = {}): number {
  if (options.interrupted || (error as Error | null)?.name === 'AbortError') {
    process.stderr.write('Error: interrupted\n');
    return 130;
  }
  process.stderr.write(formatErrorReport(error, { prefix: 'Error: ', debug: options.debug ?? false }));
  const detailed = detailedExitCode(error);
  if (options.logLevel === 'debug' || options.logLevel === 'trace') {
    const kind = isLadingError(error) ? `${error.kind} ${error.code}` : 'unexpected';
    process.stderr.write(`level=debug msg="error class: ${kind}, lading exit code ${detailed}"\n`);
  }
  return options.detailedExitCodes ? detailed : buildahFailureExit;
}

/** One line of progress or of a partial failure, safe for a terminal (it may quote a registry or a file). */
export function printableLine(text: string): string {
  return `${printable(text)}\n`;
}
