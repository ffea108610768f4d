import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Algorithm } from './digest.js';
import type { HashState } from './hash-backend-noble.js';

export type { HashState } from './hash-backend-noble.js';

/** Node's OpenSSL hashes (SHA-NI where the CPU has it); blake3 has no OpenSSL implementation, so noble. */
// blake3 is rare; loading it only when asked keeps it out of every CLI's startup (require(esm), Node >= 20.19).
const require = createRequire(import.meta.url);
let blake3: typeof import('@noble/hashes/blake3.js').blake3 | undefined;

export function createHashState(alg: Algorithm): HashState {
  if (alg === 'blake3') {
    blake3 ??= (require('@noble/hashes/blake3.js') as typeof import('@noble/hashes/blake3.js')).blake3;
    const h = blake3.create();
    return {
      update: (data) => void h.update(data),
      digestHex: () => Buffer.from(h.digest()).toString('hex'),
    };
  }
  const h = createHash(alg);
  return {
    update: (data) => void h.update(data),
    digestHex: () => h.digest('hex'),
  };
}
