import { blake3 } from '@noble/hashes/blake3.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Algorithm } from './digest.js';

export interface HashState {
  update(data: Uint8Array): void;
  digestHex(): string;
}

/** Pure-JS hashes for runtimes without node:crypto (selected by the "default" export condition). */
export function createHashState(alg: Algorithm): HashState {
  const h = alg === 'sha256' ? sha256.create() : alg === 'sha512' ? sha512.create() : blake3.create();
  return {
    update: (data) => void h.update(data),
    digestHex: () => bytesToHex(h.digest()),
  };
}
