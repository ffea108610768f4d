import { createHash } from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import type { Algorithm } from './digest.js';
import type { HashState } from './hash-backend-noble.js';

export type { HashState } from './hash-backend-noble.js';

/** Node's OpenSSL hashes (SHA-NI where the CPU has it); blake3 has no OpenSSL implementation, so noble. */
export function createHashState(alg: Algorithm): HashState {
  if (alg === 'blake3') {
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
