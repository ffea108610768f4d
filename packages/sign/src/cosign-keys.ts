import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  scrypt,
} from 'node:crypto';
import { InvalidInputError } from '@lading/digest';
import { secretbox } from '@noble/ciphers/salsa.js';
import { isJsonObject } from './strict-json.js';

/** The PEM type cosign wrote first and containers/image 5.23 (skopeo 1.9) reads; what lading writes. */
export const cosignPrivateKeyPemType = 'ENCRYPTED COSIGN PRIVATE KEY';
/** The PEM type newer cosign writes; read too. */
export const sigstorePrivateKeyPemType = 'ENCRYPTED SIGSTORE PRIVATE KEY';

// go-securesystemslib / go-tuf `encrypted`: scrypt N=32768 r=8 p=1 into a 32-byte key, nacl secretbox.
const scryptParams = { N: 32768, r: 8, p: 1 } as const;
const saltSize = 32;
const nonceSize = 24;

export interface CosignKeyPair {
  /** `ENCRYPTED COSIGN PRIVATE KEY` PEM. */
  readonly privateKeyPem: string;
  /** `PUBLIC KEY` PEM (PKIX). */
  readonly publicKeyPem: string;
}

function pem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** The first PEM block of `text`: its type and bytes. */
export function readPemBlock(text: string): { type: string; bytes: Buffer } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return undefined;
  const body = (m[2] as string)
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.includes(':'))
    .join('');
  return { type: m[1] as string, bytes: Buffer.from(body, 'base64') };
}

function deriveKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  );
}

/** go-securesystemslib's `encrypted.Encrypt`: the JSON envelope, fields in Go's struct order. */
async function encrypt(plaintext: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const salt = randomBytes(saltSize);
  const nonce = randomBytes(nonceSize);
  const key = await deriveKey(passphrase, salt, scryptParams.N, scryptParams.r, scryptParams.p);
  const sealed = secretbox(key, nonce).seal(plaintext);
  const json = {
    kdf: { name: 'scrypt', params: scryptParams, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

function keyError(code: string, message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(code, message, cause === undefined ? {} : { cause });
}

/** `encrypted.Decrypt`: refuses unknown KDFs and ciphers, and scrypt costs outside the ones cosign writes. */
async function decrypt(envelope: Uint8Array, passphrase: string, what: string): Promise<Uint8Array> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(envelope));
  } catch (cause) {
    throw keyError('KEY_INVALID', `${what}: the encrypted key is not readable`, cause);
  }
  const kdf = isJsonObject(v) && isJsonObject(v.kdf) ? v.kdf : undefined;
  const cipher = isJsonObject(v) && isJsonObject(v.cipher) ? v.cipher : undefined;
  const params = kdf && isJsonObject(kdf.params) ? kdf.params : undefined;
  if (kdf?.name !== 'scrypt' || !params || !cipher || cipher.name !== 'nacl/secretbox') {
    throw keyError('KEY_INVALID', `${what}: not scrypt + nacl/secretbox encrypted, as cosign keys are`);
  }
  const { N, r, p } = params;
  // 2^15 (cosign, go-tuf) to 2^20 (securesystemslib's strongest): a larger cost is a denial of service
  if (
    typeof N !== 'number' ||
    !Number.isInteger(Math.log2(N)) ||
    N < 1 << 15 ||
    N > 1 << 20 ||
    r !== 8 ||
    p !== 1
  ) {
    throw keyError('KEY_INVALID', `${what}: unexpected scrypt parameters`);
  }
  const salt = Buffer.from(String(kdf.salt ?? ''), 'base64');
  const nonce = Buffer.from(String(cipher.nonce ?? ''), 'base64');
  const sealed = Buffer.from(String((v as Record<string, unknown>).ciphertext ?? ''), 'base64');
  if (nonce.byteLength !== nonceSize || sealed.byteLength < 16) {
    throw keyError('KEY_INVALID', `${what}: the encrypted key is malformed`);
  }
  const key = await deriveKey(passphrase, salt, N, 8, 1);
  try {
    return secretbox(key, nonce).open(sealed);
  } catch {
    throw keyError('WRONG_PASSPHRASE', `${what}: the passphrase does not unlock it`);
  }
}

/**
 * A new ECDSA P-256 key pair in cosign's format (cosign `pkg/cosign/keys.go`): the PKCS #8 private key encrypted
 * under the passphrase (an empty one is allowed, as cosign allows it), the public key as PKIX PEM.
 */
export async function generateCosignKeyPair(passphrase: string): Promise<CosignKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKeyPem: pem(cosignPrivateKeyPemType, await encrypt(pkcs8, passphrase)),
    publicKeyPem: pem('PUBLIC KEY', spki),
  };
}

export function isCosignPrivateKey(text: string): boolean {
  return (
    text.includes(`-----BEGIN ${cosignPrivateKeyPemType}-----`) ||
    text.includes(`-----BEGIN ${sigstorePrivateKeyPemType}-----`)
  );
}

export interface CosignSigningKey {
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
}

/** Decrypts a cosign private key (either PEM type). Only ECDSA keys are taken: they are what cosign makes. */
export async function readCosignPrivateKey(
  text: string,
  options: { passphrase?: string; source?: string } = {},
): Promise<CosignSigningKey> {
  const what = options.source ?? 'the cosign key';
  const block = readPemBlock(text);
  if (!block || (block.type !== cosignPrivateKeyPemType && block.type !== sigstorePrivateKeyPemType)) {
    throw keyError('KEY_INVALID', `${what}: not an ${cosignPrivateKeyPemType} PEM`);
  }
  const der = await decrypt(block.bytes, options.passphrase ?? '', what);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw keyError('KEY_INVALID', `${what}: the decrypted key is not PKCS #8`, cause);
  }
  if (key.asymmetricKeyType !== 'ec') {
    throw keyError(
      'KEY_TYPE_UNSUPPORTED',
      `${what}: a ${key.asymmetricKeyType} key; lading signs with ECDSA keys`,
    );
  }
  return { key, publicKey: createPublicKey(key) };
}

/** A PKIX `PUBLIC KEY` PEM (what `cosign generate-key-pair` writes as cosign.pub). */
export function readCosignPublicKey(text: string, source: string): KeyObject {
  const block = readPemBlock(text);
  if (block?.type !== 'PUBLIC KEY') throw keyError('KEY_INVALID', `${source}: not a PUBLIC KEY PEM`);
  try {
    return createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
  } catch (cause) {
    throw keyError('KEY_INVALID', `${source}: not a readable public key`, cause);
  }
}
