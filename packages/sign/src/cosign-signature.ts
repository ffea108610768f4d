import { type KeyObject, sign, verify } from 'node:crypto';

/** cosign's signature: ECDSA over SHA-256 of the payload, ASN.1 DER, base64 (the layer's annotation value). */
export function signCosign(payload: Uint8Array, key: KeyObject): string {
  return sign('sha256', payload, key).toString('base64');
}

/** Whether `base64Signature` is the key's signature over the payload (false for any malformed input). */
export function verifyCosign(payload: Uint8Array, base64Signature: string, key: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64Signature)) return false;
  try {
    const hash = key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec' ? 'sha256' : null;
    return verify(hash, payload, key, Buffer.from(base64Signature, 'base64'));
  } catch {
    return false;
  }
}
