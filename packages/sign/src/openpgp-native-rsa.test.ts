// JWK's qi (q^-1 mod p) derived from OpenPGP's u (p^-1 mod q). OpenSSL checks a CRT result and quietly falls back
// to the slow path when qi is wrong, so signatures cannot tell: the number itself is checked here.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inverseOfQ } from './openpgp-native-key.js';

const fromB64u = (s: string) => BigInt(`0x${Buffer.from(s, 'base64url').toString('hex')}`);

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

describe('inverseOfQ', () => {
  it('small primes: 13^-1 mod 11 is 6, from u = 11^-1 mod 13 = 6', () => {
    expect(inverseOfQ(11n, 13n, 6n)).toBe(6n);
  });

  it('an RSA-2048 key: q * qi = 1 (mod p), the value OpenSSL computed', () => {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const [p, q, qi] = [fromB64u(jwk.p as string), fromB64u(jwk.q as string), fromB64u(jwk.qi as string)];
    // OpenPGP's u is p^-1 mod q; by Fermat, p^(q-2) mod q.
    const u = modPow(p, q - 2n, q);
    expect(inverseOfQ(p, q, u)).toBe(qi);
    expect((q * inverseOfQ(p, q, u)) % p).toBe(1n);
  });

  it('a u that is not p^-1 mod q still gives the inverse (the slow way)', () => {
    expect(inverseOfQ(11n, 13n, 5n)).toBe(6n);
  });
});
