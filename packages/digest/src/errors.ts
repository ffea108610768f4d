/**
 * One error base for every lading package. The marker symbol is registered globally so an error thrown by one
 * installed copy of a package is recognised by another copy (`instanceof` is not enough across duplicates).
 */
const marker = Symbol.for('lading.error');

export type ErrorKind = 'invalid-input' | 'integrity' | 'not-found' | 'registry' | 'option' | 'unexpected';

export interface LadingErrorOptions {
  readonly cause?: unknown;
}

export class LadingError extends Error {
  readonly code: string;
  readonly kind: ErrorKind = 'unexpected';

  constructor(code: string, message: string, options: LadingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, marker, { value: true });
  }
}

/** Bad digests, references, JSON, media types, unsafe tar entries: the caller's input is wrong. */
export class InvalidInputError extends LadingError {
  override readonly kind = 'invalid-input' as const;
}

/** Content does not match its digest or size. */
export class IntegrityError extends LadingError {
  override readonly kind = 'integrity' as const;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
  constructor(
    code: string,
    message: string,
    options: LadingErrorOptions & { expected?: string; actual?: string } = {},
  ) {
    super(code, message, options);
    this.expected = options.expected;
    this.actual = options.actual;
  }
}

/** A blob, image, tag or ingest that was asked for is not there. */
export class NotFoundError extends LadingError {
  override readonly kind = 'not-found' as const;
}

/** A bad exporter attribute or command-line flag. `key` names the option. */
export class OptionError extends LadingError {
  override readonly kind = 'option' as const;
  readonly key: string | undefined;
  constructor(code: string, message: string, options: LadingErrorOptions & { key?: string } = {}) {
    super(code, message, options);
    this.key = options.key;
  }
}

export interface RegistryErrorDetail {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

export interface RegistryErrorOptions extends LadingErrorOptions {
  readonly status?: number;
  readonly method?: string;
  /** Already redacted by the caller: see `redactUrl`. */
  readonly url?: string;
  readonly errors?: readonly RegistryErrorDetail[];
  readonly retryable?: boolean;
}

/** A registry answered with an error, or could not be reached. Carries no header and no credential. */
export class RegistryError extends LadingError {
  override readonly kind = 'registry' as const;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly errors: readonly RegistryErrorDetail[];
  readonly retryable: boolean;
  constructor(code: string, message: string, options: RegistryErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status;
    this.method = options.method;
    this.url = options.url === undefined ? undefined : redactUrl(options.url);
    this.errors = options.errors ?? [];
    this.retryable = options.retryable ?? false;
  }
}

export function isLadingError(value: unknown): value is LadingError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/**
 * A lading error of one kind, told by its `kind` (containerd's `errdefs.IsNotFound`), so an error from a duplicate
 * install of this package is recognised too: call sites use these, never `instanceof`.
 */
function isKind<T extends LadingError>(kind: ErrorKind): (value: unknown) => value is T {
  return (value: unknown): value is T => isLadingError(value) && value.kind === kind;
}

/** Bad input: a digest, reference, JSON, media type or tar entry (exit 3). */
export const isInvalidInputError = isKind<InvalidInputError>('invalid-input');
/** A digest or size that does not match (exit 6). */
export const isIntegrityError = isKind<IntegrityError>('integrity');
/** A blob, manifest, lease, image or tag that is not there (exit 4). */
export const isNotFoundError = isKind<NotFoundError>('not-found');
/** A registry or network failure (exit 5). */
export const isRegistryError = isKind<RegistryError>('registry');
/** A bad exporter attribute or command-line flag (exit 2). */
export const isOptionError = isKind<OptionError>('option');

/** Drops userinfo, query and fragment: what may appear in an error or a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}

/** The CLI exit codes of the project: 0 ok, 1 unexpected, 2 usage, 3 bad input, 4 not found, 5 registry, 6 integrity, 130 interrupted. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalidInput: 3,
  notFound: 4,
  registry: 5,
  integrity: 6,
  interrupted: 130,
} as const;

/** Node's codes for a peer that cannot be reached or went away: a network failure, whatever wrapped it. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function isNetworkFailure(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The exit code for an error: by its kind for lading errors; an error that is not one is unexpected (1), except a
 * network failure Node raised (a refused connection, a name that does not resolve), which is 5 however it came.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof Error && error.name === 'AbortError') return ExitCode.interrupted;
  if (!isLadingError(error)) return isNetworkFailure(error) ? ExitCode.registry : ExitCode.unexpected;
  switch (error.kind) {
    case 'option':
      return ExitCode.usage;
    case 'invalid-input':
      return ExitCode.invalidInput;
    case 'not-found':
      return ExitCode.notFound;
    case 'registry':
      return ExitCode.registry;
    case 'integrity':
      return ExitCode.integrity;
    default:
      return ExitCode.unexpected;
  }
}
