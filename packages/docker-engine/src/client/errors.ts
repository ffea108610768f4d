import { InvalidInputError, LadingError, type LadingErrorOptions, NotFoundError } from '@lading/digest';

const engineMarker = Symbol.for('lading.engine-error');

export interface EngineErrorOptions extends LadingErrorOptions {
  /** The daemon's address as shown to users (`unix:///var/run/docker.sock`, `tcp://host:2376`). */
  readonly address?: string;
  /** HTTP status of the API answer, when there was one. */
  readonly status?: number;
}

/**
 * The Docker Engine could not be reached, or answered with an error that is not the caller's input: exit 5 like a
 * registry failure. `message` carries the daemon's own words, control characters stripped.
 */
export class EngineError extends LadingError {
  override readonly kind = 'registry' as const;
  readonly address: string | undefined;
  readonly status: number | undefined;
  constructor(code: string, message: string, options: EngineErrorOptions = {}) {
    super(code, message, options);
    this.address = options.address;
    this.status = options.status;
    Object.defineProperty(this, engineMarker, { value: true });
  }
}

/** Any failure of the Engine itself (unreachable, API error, refused load). */
export function isEngineError(error: unknown): error is EngineError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[engineMarker] === true
  );
}

/** No daemon answered at the address (no socket, refused, permission denied, TLS failure). */
export function isEngineUnreachable(error: unknown): error is EngineError {
  return isEngineError(error) && error.code === 'ENGINE_UNREACHABLE';
}

/**
 * Text from a daemon, safe for one terminal line: control characters (ANSI escapes included) and newlines become
 * spaces, runs of spaces collapse, and it is capped so a hostile daemon cannot flood the terminal.
 */
export function cleanDaemonText(text: string, max = 2000): string {
  const clean = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences go whole
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** The error for an API answer with status >= 400: the daemon's message, typed by what the status means. */
export function apiError(
  status: number,
  daemonMessage: string,
  context: { readonly what: string; readonly address: string },
): LadingError {
  const message = `${context.what}: ${cleanDaemonText(daemonMessage) || `status ${status}`}`;
  if (status === 404) return new NotFoundError('ENGINE_NOT_FOUND', message);
  if (status === 400) return new InvalidInputError('ENGINE_BAD_REQUEST', message);
  return new EngineError('ENGINE_API_ERROR', message, { status, address: context.address });
}
