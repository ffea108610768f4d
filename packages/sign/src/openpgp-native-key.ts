// Why this exists: openpgp.js costs ~43 ms of module evaluation (and the GC that follows) on every signing
// `lading push`, more than issue 15's whole budget for signing. The keys gpg makes by default (v4 RSA, v4 EdDSA
// Ed25519) are read and unlocked here with node:crypto alone, after RFC 4880 (sections 3.7 S2K, 5.5.2/5.5.3 key
// packets, 5.2.3 signatures and their subpackets, 11.2 transferable secret keys, 12.2 fingerprints) and RFC 9580
// (sections 5.5.2, 5.5.3, 5.2.3, 10.2 transferable secret keys). Any key this does not fully understand
// (`NotNative`) goes to openpgp.js, as before.

import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { InvalidInputError } from '@lading/digest';
import { dearmor, NotNative, type Packet, Reader, readPackets, readSubpackets } from './openpgp-packets.js';

export const rsaSign = 1; // RSA (encrypt or sign)
const rsaSignOnly = 3;
export const eddsaLegacy = 22;
// 1.3.6.1.4.1.11591.15.1, DER content octets (RFC 9580 section 9.2)
const ed25519Oid = Buffer.from('2b06010401da470f01', 'hex');

/** A key the native signer signs with. */
export interface NativeSigningKey {
  /** The primary key's fingerprint, upper-case hex (what openpgp.js's `getFingerprint` gives). */
  readonly fingerprint: string;
  /** The fingerprint of the (sub)key that signs: issuer fingerprint subpacket; its low 64 bits are the key ID. */
  readonly signerFingerprint: Uint8Array;
  readonly algorithm: typeof rsaSign | typeof rsaSignOnly | typeof eddsaLegacy;
  readonly privateKey: KeyObject;
}

interface KeyPacket {
  readonly created: number;
  readonly algorithm: number;
  /** The public key body (version to the end of the public fields): what the fingerprint hashes. */
  readonly publicBody: Uint8Array;
  readonly fingerprint: Uint8Array;
  readonly publicFields: Uint8Array[];
  /** The rest of the packet: S2K usage and the secret fields. */
  readonly secret: Uint8Array;
}

const notNative = (why: string): never => {
  throw new NotNative(why);
};

function readKeyPacket(body: Uint8Array): KeyPacket {
  const r = new Reader(body);
  if (r.u8() !== 4) notNative('not a version 4 key');
  const created = r.u32();
  const algorithm = r.u8();
  const publicFields: Uint8Array[] = [];
  if (algorithm === rsaSign || algorithm === rsaSignOnly) {
    publicFields.push(r.mpi(), r.mpi()); // n, e
  } else if (algorithm === eddsaLegacy) {
    const oid = r.bytes(r.u8());
    if (!Buffer.from(oid).equals(ed25519Oid)) notNative('EdDSA on another curve');
    const q = r.mpi();
    if (q.length !== 33 || q[0] !== 0x40) notNative('an Ed25519 point not in native form');
    publicFields.push(q.subarray(1));
  } else {
    notNative('another public key algorithm');
  }
  const publicBody = body.subarray(0, r.at);
  const fingerprint = createHash('sha1')
    .update(Uint8Array.of(0x99, publicBody.length >> 8, publicBody.length & 0xff))
    .update(publicBody)
    .digest();
  return { created, algorithm, publicBody, fingerprint, publicFields, secret: body.subarray(r.at) };
}

interface Sig {
  readonly type: number;
  readonly created: number;
  readonly keyExpiry: number | undefined;
  readonly sigExpiry: number | undefined;
  readonly flags: number | undefined;
  readonly hasEmbedded: boolean;
  readonly issuer: Uint8Array | undefined; // fingerprint, or key ID (8 octets)
}

// subpackets a self-signature may mark critical and that this code (like openpgp.js) understands or may ignore
const knownCritical = new Set([2, 3, 4, 5, 7, 9, 11, 12, 16, 20, 21, 22, 23, 25, 27, 30, 31, 32, 33, 34]);

function readSig(body: Uint8Array): Sig {
  const r = new Reader(body);
  if (r.u8() !== 4) notNative('not a version 4 signature');
  const type = r.u8();
  r.u8(); // public key algorithm
  r.u8(); // hash algorithm
  const hashed = readSubpackets(r.bytes(r.u16()));
  const unhashed = readSubpackets(r.bytes(r.u16()));
  let created: number | undefined;
  let keyExpiry: number | undefined;
  let sigExpiry: number | undefined;
  let flags: number | undefined;
  let issuer: Uint8Array | undefined;
  let hasEmbedded = false;
  for (const sp of hashed) {
    if (sp.critical && !knownCritical.has(sp.type)) notNative('an unknown critical subpacket');
    const u32 = () => (sp.data.length === 4 ? new Reader(sp.data).u32() : notNative('bad time subpacket'));
    if (sp.type === 2) created = u32();
    else if (sp.type === 9) keyExpiry = u32();
    else if (sp.type === 3) sigExpiry = u32();
    else if (sp.type === 27) flags = sp.data.length > 0 ? (sp.data[0] as number) : 0;
    else if (sp.type === 33 && sp.data[0] === 4 && sp.data.length === 21) issuer = sp.data.subarray(1);
    else if (sp.type === 16 && sp.data.length === 8) issuer ??= sp.data;
    else if (sp.type === 32) hasEmbedded = true;
  }
  for (const sp of unhashed) {
    if (sp.type === 16 && sp.data.length === 8) issuer ??= sp.data;
    else if (sp.type === 32) hasEmbedded = true;
  }
  if (created === undefined) notNative('a signature without a creation time');
  return { type, created: created as number, keyExpiry, sigExpiry, flags, hasEmbedded, issuer };
}

const issuedBy = (sig: Sig, key: KeyPacket): boolean =>
  sig.issuer !== undefined &&
  Buffer.from(sig.issuer).equals(sig.issuer.length === 8 ? key.fingerprint.subarray(12) : key.fingerprint);

/** The newest of a component's self-signatures; two equally new ones: not sure which openpgp.js takes. */
function latest(sigs: Sig[]): Sig | undefined {
  const sorted = [...sigs].sort((a, b) => b.created - a.created);
  if (sorted.length > 1 && sorted[0]?.created === sorted[1]?.created)
    notNative('two self-signatures of one age');
  return sorted[0];
}

/** Valid now: not expired (the key by its expiry, the signature by its own), not made in the future. */
function checkCurrent(sig: Sig, key: KeyPacket, now: number): void {
  if (sig.created > now || key.created > now) notNative('a key or self-signature from the future');
  if (sig.keyExpiry && key.created + sig.keyExpiry <= now) notNative('an expired key');
  if (sig.sigExpiry && sig.created + sig.sigExpiry <= now) notNative('an expired self-signature');
}

/**
 * Which key signs, as openpgp.js's `getSigningKey` chooses: the newest subkey whose binding signature allows
 * signing (key flags 0x02, with its embedded back-signature), else the primary key if its self-certification
 * allows signing or has no key flags. Revocations, direct-key signatures, several user IDs, user attributes,
 * subkeys whose binding carries no flags: not native.
 */
function chooseSigningKey(packets: Packet[], now: number): { primary: KeyPacket; signer: KeyPacket } {
  const [first, ...rest] = packets;
  if (first?.tag !== 5) notNative('not a secret key first');
  const primary = readKeyPacket((first as Packet).body);
  const uidCerts: Sig[] = [];
  const subkeys: { key: KeyPacket | undefined; created: number; sigs: Sig[] }[] = [];
  let where: 'primary' | 'uid' | 'subkey' = 'primary';
  let uids = 0;
  for (const p of rest) {
    if (p.tag === 13) {
      if (++uids > 1) notNative('several user IDs');
      where = 'uid';
    } else if (p.tag === 7) {
      let key: KeyPacket | undefined;
      try {
        key = readKeyPacket(p.body);
      } catch (e) {
        if (!(e instanceof NotNative)) throw e;
      }
      // its creation time is in the same place whatever the algorithm (version 4)
      const r = new Reader(p.body);
      if (r.u8() !== 4) notNative('a subkey not of version 4');
      subkeys.push({ key, created: r.u32(), sigs: [] });
      where = 'subkey';
    } else if (p.tag === 2) {
      const sig = readSig(p.body);
      if (sig.type === 0x20 || sig.type === 0x28 || sig.type === 0x30) notNative('a revocation');
      if (where === 'primary') notNative('a direct-key signature');
      if (sig.issuer === undefined) notNative('a signature without an issuer');
      if (!issuedBy(sig, primary)) continue; // a certification by someone else
      if (where === 'uid' && sig.type >= 0x10 && sig.type <= 0x13) uidCerts.push(sig);
      else if (where === 'subkey' && sig.type === 0x18) subkeys[subkeys.length - 1]?.sigs.push(sig);
      else notNative('an unexpected signature type');
    } else if (p.tag !== 12) {
      notNative('another packet in the key'); // user attributes, markers, ...
    }
  }
  const cert = latest(uidCerts);
  if (cert === undefined) notNative('no self-certification');
  checkCurrent(cert as Sig, primary, now);
  const candidates: { key: KeyPacket; created: number }[] = [];
  for (const sub of subkeys) {
    const binding = latest(sub.sigs);
    if (binding === undefined) continue; // openpgp.js drops a subkey without a binding
    if (binding.flags === undefined) notNative('a subkey binding without key flags');
    if (((binding.flags as number) & 0x02) === 0) continue;
    if (!binding.hasEmbedded) notNative('a signing subkey without its back-signature');
    if (sub.key === undefined) notNative('a signing subkey of another algorithm');
    checkCurrent(binding, sub.key as KeyPacket, now);
    candidates.push({ key: sub.key as KeyPacket, created: sub.created });
  }
  candidates.sort((a, b) => b.created - a.created);
  if (candidates.length > 1 && candidates[0]?.created === candidates[1]?.created)
    notNative('two signing subkeys of one age');
  const chosen = candidates[0];
  if (chosen !== undefined) return { primary, signer: chosen.key };
  const flags = (cert as Sig).flags;
  if (flags !== undefined && (flags & 0x02) === 0) notNative('no key that may sign');
  return { primary, signer: primary };
}

const ciphers: Record<number, { name: string; keyLength: number }> = {
  7: { name: 'aes-128-cfb', keyLength: 16 },
  8: { name: 'aes-192-cfb', keyLength: 24 },
  9: { name: 'aes-256-cfb', keyLength: 32 },
};
const hashes: Record<number, string> = { 2: 'sha1', 8: 'sha256', 10: 'sha512' };

/** String-to-key, salted (1) or iterated and salted (3), RFC 4880 section 3.7.1; long keys from preloaded hashes. */
export function s2k(
  hash: string,
  salt: Uint8Array,
  count: number,
  passphrase: Uint8Array,
  keyLength: number,
): Buffer {
  const data = Buffer.concat([salt, passphrase]);
  const total = Math.max(count, data.length);
  const parts: Buffer[] = [];
  // one large block of repeated salt+passphrase, so the hashing does not go 10 bytes per call
  const reps = Math.max(1, Math.floor(65536 / data.length));
  const block = Buffer.concat(Array.from({ length: reps }, () => data));
  for (let i = 0, got = 0; got < keyLength; i++) {
    const h = createHash(hash);
    if (i > 0) h.update(Buffer.alloc(i));
    let left = total;
    while (left >= block.length) {
      h.update(block);
      left -= block.length;
    }
    h.update(block.subarray(0, left));
    const d = h.digest();
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts).subarray(0, keyLength);
}

/** The secret fields, in the clear (S2K usage 0) or unlocked (usage 254, SHA-1 check). */
function secretFields(key: KeyPacket, passphrase: string | undefined, what: string): Uint8Array {
  const r = new Reader(key.secret);
  const usage = r.u8();
  if (usage === 0) {
    const plain = r.bytes(r.left - 2);
    const sum = r.u16();
    let s = 0;
    for (const b of plain) s = (s + b) & 0xffff;
    if (s !== sum) notNative('a plain secret key with a bad checksum'); // openpgp.js words the error
    return plain;
  }
  if (usage !== 254) notNative('an S2K usage other than 0 or 254');
  const cipher = ciphers[r.u8()] ?? notNative('another cipher');
  const specifier = r.u8();
  if (specifier !== 1 && specifier !== 3) notNative('another S2K specifier');
  const hash = hashes[r.u8()] ?? notNative('another S2K hash');
  const salt = r.bytes(8);
  const c = specifier === 3 ? r.u8() : 0;
  const count = specifier === 3 ? (16 + (c & 15)) << ((c >> 4) + 6) : 0;
  const iv = r.bytes(16);
  const encrypted = r.bytes(r.left);
  if (encrypted.length < 20) notNative('secret fields too short');
  if (passphrase === undefined || passphrase === '') {
    throw new InvalidInputError(
      'PASSPHRASE_REQUIRED',
      `${what} is protected by a passphrase: give it with --passphrase-file FILE or $LADING_PASSPHRASE`,
    );
  }
  const k = s2k(hash, salt, count, Buffer.from(passphrase, 'utf8'), cipher.keyLength);
  // version 4 secret keys: plain CFB over the IV, without OpenPGP's resynchronisation (RFC 4880 section 5.5.3)
  const d = createDecipheriv(cipher.name, k, iv);
  const plain = Buffer.concat([d.update(encrypted), d.final()]);
  const fields = plain.subarray(0, plain.length - 20);
  const check = createHash('sha1').update(fields).digest();
  if (!timingSafeEqual(check, plain.subarray(plain.length - 20))) {
    throw new InvalidInputError('WRONG_PASSPHRASE', `${what}: the passphrase does not unlock it`);
  }
  return fields;
}

const b64u = (b: Uint8Array | bigint): string => {
  if (typeof b !== 'bigint') return Buffer.from(b).toString('base64url');
  let hex = b.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
};
const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) notNative('no modular inverse');
  return ((s0 % m) + m) % m;
}

/**
 * q^-1 mod p from OpenPGP's u = p^-1 mod q without a BigInt extended Euclid (milliseconds for RSA-3072): u*p = 1 + k*q,
 * so k*q = -1 (mod p) and q^-1 = -k (mod p). A u that is not p's inverse falls back to the slow way.
 */
export function inverseOfQ(p: bigint, q: bigint, u: bigint): bigint {
  const up = u * p - 1n;
  if (u <= 0n || up % q !== 0n) return modInverse(q, p);
  const k = up / q;
  return ((-k % p) + p) % p;
}

/** The secret fields as a node:crypto key, checked against the public ones. */
function privateKeyObject(key: KeyPacket, fields: Uint8Array): KeyObject {
  const r = new Reader(fields);
  if (key.algorithm === eddsaLegacy) {
    const secret = r.mpi();
    if (r.left !== 0 || secret.length > 32) notNative('unexpected EdDSA secret fields');
    const d = Buffer.concat([Buffer.alloc(32 - secret.length), secret]);
    const x = b64u(key.publicFields[0] as Uint8Array);
    const priv = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(d), x }, format: 'jwk' });
    if (createPublicKey(priv).export({ format: 'jwk' }).x !== x)
      notNative('a secret that is not the public key’s');
    return priv;
  }
  const [dm, pm, qm] = [r.mpi(), r.mpi(), r.mpi()];
  const um = r.mpi(); // u = p^-1 mod q: JWK wants q^-1 mod p, derived from it below
  if (r.left !== 0) notNative('unexpected RSA secret fields');
  const [n, e] = [big(key.publicFields[0] as Uint8Array), big(key.publicFields[1] as Uint8Array)];
  const [d, p, q, u] = [big(dm), big(pm), big(qm), big(um)];
  if (p * q !== n) notNative('an RSA secret that is not the public key’s');
  // openpgp.js refuses RSA keys under 2047 bits (its minRSABits): let it say so
  if (n.toString(2).length < 2047) notNative('a short RSA key');
  const jwk = {
    kty: 'RSA',
    n: b64u(n),
    e: b64u(e),
    d: b64u(d),
    p: b64u(p),
    q: b64u(q),
    dp: b64u(d % (p - 1n)),
    dq: b64u(d % (q - 1n)),
    qi: b64u(inverseOfQ(p, q, u)),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

/**
 * Reads an armored OpenPGP private key natively, or `undefined` when it is one for openpgp.js. A bad armor
 * checksum is `KEY_INVALID`; a missing or wrong passphrase `PASSPHRASE_REQUIRED` / `WRONG_PASSPHRASE`, naming
 * neither the passphrase nor key material.
 */
export function readNativeSigningKey(
  armored: string,
  options: { passphrase?: string; source?: string; now?: number } = {},
): NativeSigningKey | undefined {
  const what = options.source ?? 'the OpenPGP key';
  try {
    const packets = readPackets(dearmor(armored, 'PGP PRIVATE KEY BLOCK', what));
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const { primary, signer } = chooseSigningKey(packets, now);
    const privateKey = privateKeyObject(signer, secretFields(signer, options.passphrase, what));
    return {
      fingerprint: Buffer.from(primary.fingerprint).toString('hex').toUpperCase(),
      signerFingerprint: signer.fingerprint,
      algorithm: signer.algorithm as NativeSigningKey['algorithm'],
      privateKey,
    };
  } catch (e) {
    // the typed errors above stand; anything else (not native, or node:crypto refusing the key): openpgp.js
    if (e instanceof InvalidInputError) throw e;
    return undefined;
  }
}
