import { createHashState, type HashState } from '#hash-backend';
import { type Algorithm, type Digest, digestAlgorithm, makeDigest } from './digest.js';
import { IntegrityError } from './errors.js';

/** Incremental hash that also counts bytes. */
export class Digester {
  readonly algorithm: Algorithm;
  #state: HashState;
  #size = 0;
  #done: Digest | undefined;

  constructor(algorithm: Algorithm = 'sha256') {
    this.algorithm = algorithm;
    this.#state = createHashState(algorithm);
  }

  update(chunk: Uint8Array): this {
    if (this.#done) throw new Error('Digester.update after digest()');
    this.#state.update(chunk);
    this.#size += chunk.byteLength;
    return this;
  }

  get size(): number {
    return this.#size;
  }

  /** Finishes the hash; later calls return the same digest. */
  digest(): Digest {
    this.#done ??= makeDigest(this.algorithm, this.#state.digestHex());
    return this.#done;
  }
}

export function digestOf(bytes: Uint8Array | string, algorithm: Algorithm = 'sha256'): Digest {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return new Digester(algorithm).update(data).digest();
}

export interface HashResult {
  readonly digest: Digest;
  readonly size: number;
}

export async function hashStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: { algorithm?: Algorithm; signal?: AbortSignal } = {},
): Promise<HashResult> {
  const d = new Digester(options.algorithm ?? 'sha256');
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    d.update(chunk);
  }
  return { digest: d.digest(), size: d.size };
}

export interface Expected {
  readonly digest: Digest;
  readonly size?: number;
}

/**
 * Passes bytes through unchanged and throws `IntegrityError` at the end when they do not match the expected digest
 * (or earlier, as soon as the size is exceeded). A consumer that stops early sees no verification.
 */
export async function* verifyStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: Expected,
): AsyncGenerator<Uint8Array, HashResult, undefined> {
  const d = new Digester(digestAlgorithm(expected.digest));
  for await (const chunk of source) {
    d.update(chunk);
    if (expected.size !== undefined && d.size > expected.size) {
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `content of ${expected.digest} is larger than the expected ${expected.size} bytes`,
        { expected: String(expected.size), actual: `>${expected.size}` },
      );
    }
    yield chunk;
  }
  checkHash({ digest: d.digest(), size: d.size }, expected);
  return { digest: d.digest(), size: d.size };
}

/** Throws `IntegrityError` unless `actual` matches `expected`. */
export function checkHash(actual: HashResult, expected: Expected, what = 'content'): void {
  if (expected.size !== undefined && actual.size !== expected.size) {
    throw new IntegrityError(
      'SIZE_MISMATCH',
      `${what} has ${actual.size} bytes, expected ${expected.size} (${expected.digest})`,
      { expected: String(expected.size), actual: String(actual.size) },
    );
  }
  if (actual.digest !== expected.digest) {
    throw new IntegrityError(
      'DIGEST_MISMATCH',
      `${what} hashes to ${actual.digest}, expected ${expected.digest}`,
      {
        expected: expected.digest,
        actual: actual.digest,
      },
    );
  }
}
