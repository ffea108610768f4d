import { lstatSync, type Stats } from 'node:fs';
import { InvalidInputError, isLadingError, LadingError } from '@lading/digest';

/** An entry that would reach outside the target or do what an unpack must not. */
export function unsafe(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'UNSAFE_TAR_ENTRY',
    `refusing tar entry ${JSON.stringify(name)}: ${why}; the layer is not safe to unpack`,
  );
}

/** An entry whose header no file can have. */
export function badEntry(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'BAD_TAR',
    `the layer's entry ${JSON.stringify(name)} is not valid: ${why}; the layer is not a valid tar archive`,
  );
}

/**
 * Path components of an entry name (or hardlink target). Absolute names and `..` are refused outright: containerd
 * and umoci clean them into the root instead (`../x` lands at `x`), but no tool we know writes such layers, and a
 * layer that has them is hostile or broken, so lading says so rather than guess.
 */
export function components(name: string, entry: string, what: string): string[] {
  if (name.startsWith('/')) throw unsafe(entry, `${what} ${JSON.stringify(name)} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw unsafe(entry, `${what} ${JSON.stringify(name)} climbs out of the target with '..'`);
  return parts;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export function lstatOrUndefined(p: string): Stats | undefined {
  try {
    // No exception for a missing path (the common answer while unpacking into a fresh directory): throwing costs
    // more than the syscall.
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Typed errors pass through. A file operation that failed (it has a syscall) is an unexpected error naming the
 * entry; anything else came from reading the stream, so the layer is not a valid tar.
 */
export function describeFailure(error: unknown, entry: string | undefined): unknown {
  if (isLadingError(error) || (error as Error)?.name === 'AbortError') return error;
  const message = (error as Error)?.message ?? String(error);
  const at = entry === undefined ? '' : ` at entry ${JSON.stringify(entry)}`;
  if ((error as NodeJS.ErrnoException)?.syscall !== undefined) {
    return new LadingError('UNPACK_FAILED', `cannot unpack the layer${at}: ${message}`, { cause: error });
  }
  return new InvalidInputError('BAD_TAR', `the layer is not a valid tar archive${at}: ${message}`, {
    cause: error,
  });
}
