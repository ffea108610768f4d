// The native signer's signed message. It exists because openpgp.js costs ~43 ms of module evaluation on every
// signing `lading push` (see openpgp-native-key.ts). A non-detached binary signed message, the shape
// openpgp-signature.ts makes through openpgp.js, after RFC 4880 sections 5.4 (one-pass signature), 5.9 (literal
// data), 5.2.3 and 5.2.4 (version 4 signature and what it hashes), 11.3 (message composition); RFC 9580 sections
// 5.4, 5.9, 5.2.3, 5.2.4, 10.3.

import { createHash, sign } from 'node:crypto';
import { eddsaLegacy, type NativeSigningKey } from './openpgp-native-key.js';
import { mpi, packet, u32be } from './openpgp-packets.js';

const sha256 = 8; // hash algorithm ID
const binaryDocument = 0x00; // signature type

/**
 * A non-detached signed message over the payload: one-pass signature (tag 4), literal data (tag 11, binary, no
 * file name), signature (tag 2, version 4, SHA-256) with hashed creation time and issuer fingerprint and the
 * issuer key ID unhashed.
 */
export function signNative(payload: Uint8Array, key: NativeSigningKey, now = new Date()): Uint8Array {
  const created = Math.floor(now.getTime() / 1000);
  const keyId = key.signerFingerprint.subarray(12);
  const hashedSubpackets = Buffer.concat([
    Uint8Array.of(5, 2),
    u32be(created), // signature creation time
    Uint8Array.of(22, 33, 4),
    key.signerFingerprint, // issuer fingerprint, version 4
  ]);
  const hashed = Buffer.concat([
    Uint8Array.of(
      4,
      binaryDocument,
      key.algorithm,
      sha256,
      hashedSubpackets.length >> 8,
      hashedSubpackets.length & 0xff,
    ),
    hashedSubpackets,
  ]);
  // the trailer: version, 0xff, the hashed part's length (RFC 4880 section 5.2.4)
  const digest = createHash('sha256')
    .update(payload)
    .update(hashed)
    .update(Uint8Array.of(4, 0xff))
    .update(u32be(hashed.length))
    .digest();
  let mpis: Uint8Array;
  if (key.algorithm === eddsaLegacy) {
    // legacy EdDSA signs the digest itself; r and s are its two halves (RFC 9580 section 5.2.3.3)
    const rs = sign(null, digest, key.privateKey);
    mpis = Buffer.concat([mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
  } else {
    // PKCS#1 v1.5 over the digest, with SHA-256's DigestInfo (RFC 4880 section 5.2.2)
    mpis = mpi(
      sign(
        'sha256',
        Buffer.concat([payload, hashed, Uint8Array.of(4, 0xff), u32be(hashed.length)]),
        key.privateKey,
      ),
    );
  }
  const unhashed = Buffer.concat([Uint8Array.of(9, 16), keyId]); // issuer key ID
  const signature = Buffer.concat([
    hashed,
    Uint8Array.of(unhashed.length >> 8, unhashed.length & 0xff),
    unhashed,
    digest.subarray(0, 2), // the left 16 bits of the hash
    mpis,
  ]);
  const onePass = Buffer.concat([
    Uint8Array.of(3, binaryDocument, sha256, key.algorithm),
    keyId,
    Uint8Array.of(1),
  ]);
  const literal = Buffer.concat([Uint8Array.of(0x62, 0), u32be(created), payload]); // 'b', no name, date
  return new Uint8Array(Buffer.concat([packet(4, onePass), packet(11, literal), packet(2, signature)]));
}
