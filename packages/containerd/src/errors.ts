import {
  IntegrityError,
  InvalidInputError,
  isLadingError,
  LadingError,
  type LadingErrorOptions,
  NotFoundError,
} from '@lading/digest';

/** gRPC status codes (grpc/codes), the ones containerd's errdefs map to. */
export const GrpcCode = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  failedPrecondition: 9,
  aborted: 10,
  outOfRange: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  dataLoss: 15,
  unauthenticated: 16,
} as const;

/**
 * containerd could not be reached, or answered with an error of its own (not of the caller's input). Exit code 5
 * like a registry's, since both are a daemon on the other end of a socket. Carries the address tried.
 */
export class ContainerdError extends LadingError {
  override readonly kind = 'registry' as const;
  readonly address: string | undefined;
  readonly grpcCode: number | undefined;
  constructor(
    code: string,
    message: string,
    options: LadingErrorOptions & { address?: string; grpcCode?: number } = {},
  ) {
    super(code, message, options);
    this.address = options.address;
    this.grpcCode = options.grpcCode;
  }
}

/** An object containerd already has (a lease id, an image name, a snapshot key). Exit code 3. */
export class AlreadyExistsError extends InvalidInputError {}

interface GrpcLikeError {
  readonly code?: unknown;
  readonly details?: unknown;
  readonly message?: unknown;
}

export interface ErrorContext {
  /** What was being done, e.g. `content info sha256:...`. */
  readonly what: string;
  readonly address: string;
}

/** The gRPC code of an error from a call, if it is one. */
export function grpcCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || isLadingError(error)) return undefined;
  const code = (error as GrpcLikeError).code;
  return typeof code === 'number' ? code : undefined;
}

function detailsOf(error: unknown): string {
  const e = error as GrpcLikeError;
  if (typeof e.details === 'string' && e.details !== '') return e.details;
  return typeof e.message === 'string' ? e.message : String(error);
}

/**
 * Turns a gRPC error into lading's typed errors, as containerd's errdefs.FromGRPC does for Go callers: NotFound ->
 * NotFoundError, AlreadyExists -> AlreadyExistsError, InvalidArgument/FailedPrecondition/OutOfRange ->
 * InvalidInputError, Unavailable and the daemon's own failures -> ContainerdError (exit 5, with the address).
 * A ref locked by another writer is `INGEST_LOCKED`, as in lading's own stores.
 */
export function fromGrpcError(error: unknown, context: ErrorContext): Error {
  if (isLadingError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const code = grpcCodeOf(error);
  const details = detailsOf(error);
  const message = `containerd at ${context.address}: ${context.what}: ${details}`;
  const options = { cause: error };
  switch (code) {
    case GrpcCode.notFound:
      return new NotFoundError('CONTAINERD_NOT_FOUND', message, options);
    case GrpcCode.alreadyExists:
      return new AlreadyExistsError('CONTAINERD_ALREADY_EXISTS', message, options);
    case GrpcCode.invalidArgument:
      return new InvalidInputError('CONTAINERD_INVALID_ARGUMENT', message, options);
    case GrpcCode.failedPrecondition:
      return new InvalidInputError('CONTAINERD_FAILED_PRECONDITION', message, options);
    case GrpcCode.outOfRange:
      return new InvalidInputError('CONTAINERD_OUT_OF_RANGE', message, options);
    case GrpcCode.unavailable:
      if (/\blocked\b/.test(details)) return new LadingError('INGEST_LOCKED', message, options);
      return new ContainerdError(
        'CONTAINERD_UNAVAILABLE',
        `containerd at ${context.address} is not answering (${details}): is it running, and is this the socket of its grpc.address? Set CONTAINERD_ADDRESS or --containerd-address`,
        { ...options, address: context.address, grpcCode: code },
      );
    case GrpcCode.dataLoss:
      return new IntegrityError('CONTAINERD_DATA_LOSS', message, options);
    default:
      return new ContainerdError('CONTAINERD_ERROR', message, {
        ...options,
        address: context.address,
        ...(code !== undefined ? { grpcCode: code } : {}),
      });
  }
}

/** containerd's NotFound, as every lading error of that kind (one predicate, from `@lading/digest`). */
export { isNotFoundError } from '@lading/digest';

export function isAlreadyExistsError(error: unknown): boolean {
  return isLadingError(error) && error.code === 'CONTAINERD_ALREADY_EXISTS';
}

export function isContainerdUnavailable(error: unknown): boolean {
  return isLadingError(error) && error.code === 'CONTAINERD_UNAVAILABLE';
}
