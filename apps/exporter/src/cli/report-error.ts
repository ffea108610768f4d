import { formatErrorReport } from '@lading/cli-support';
import { exitCodeFor, isOptionError, OptionError } from '@lading/digest';

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export interface ReportOptions {
  /** The command that failed, for the `See: lading CMD --help` line of a usage error. */
  readonly command?: string;
  /** `--debug` or LADING_DEBUG: stacks too. */
  readonly debug?: boolean;
  /** The command was interrupted (SIGINT): whatever failed after that is the interruption. */
  readonly interrupted?: boolean;
}

/**
 * The one place `lading` prints a failure: `lading: <message>` and `caused by:` lines, terminal controls stripped, a
 * stack only with `--debug`. Returns the exit code (DESIGN §6): usage 2 (a flag node:util's parseArgs refused, a bad
 * option), then by the error's kind; anything that is not a lading error is unexpected, 1.
 */
export function reportError(error: unknown, options: ReportOptions = {}): number {
  const write = (s: string) => process.stderr.write(s);
  if (options.interrupted || (error as Error | null)?.name === 'AbortError') {
    write('lading: interrupted\n');
    return 130;
  }
  const usage = isParseArgsError(error) || isOptionError(error);
  // node:util's own errors are the user's mistake, not a bug: shown as a lading error would be.
  const shown = isParseArgsError(error)
    ? new OptionError('USAGE', (error as Error).message, { cause: error })
    : error;
  write(formatErrorReport(shown, { prefix: 'lading: ', debug: options.debug ?? false }));
  if (usage && options.command !== undefined) write(`See: lading ${options.command} --help\n`);
  return usage ? 2 : exitCodeFor(error);
}
