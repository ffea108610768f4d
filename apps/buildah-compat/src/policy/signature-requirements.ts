import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '@lading/digest';
import type { ImageSignature, SignedIdentity } from '@lading/sign';

/**
 * `signedBy` and `sigstoreSigned` as containers/image parses them (`signature/policy_config.go`,
 * `policy_config_sigstore.go`): unknown keys are errors, exactly one key source, `keyData` base64 (Go's []byte).
 */
export type SignatureRequirement =
  | {
      readonly type: 'signedBy';
      readonly keyType: string;
      readonly keys: KeySource;
      readonly signedIdentity: SignedIdentity;
    }
  | {
      readonly type: 'sigstoreSigned';
      /** undefined when the requirement names Fulcio, which lading cannot check. */
      readonly keys: KeySource | undefined;
      readonly unsupported?: string;
      readonly signedIdentity: SignedIdentity;
    };

type KeySource =
  | { readonly kind: 'paths'; readonly paths: readonly string[] }
  | { readonly kind: 'data'; readonly data: Uint8Array };

const keyTypes = new Set(['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs']);

function bad(message: string): InvalidInputError {
  return new InvalidInputError('POLICY_INVALID', message);
}

function base64(v: unknown, key: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(`"${key}" must be base64 data`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function identityOf(v: Record<string, unknown>, parse: (x: unknown) => SignedIdentity): SignedIdentity {
  return v.signedIdentity === undefined || v.signedIdentity === null
    ? { type: 'matchRepoDigestOrExact' }
    : parse(v.signedIdentity);
}

/** Parses a `signedBy` or `sigstoreSigned` requirement object. */
export function parseSignatureRequirement(
  v: Record<string, unknown>,
  parseIdentity: (x: unknown) => SignedIdentity,
): SignatureRequirement {
  if (v.type === 'signedBy') {
    for (const k of Object.keys(v)) {
      if (!['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'].includes(k))
        throw bad(`Unknown key "${k}"`);
    }
    if (typeof v.keyType !== 'string' || !keyTypes.has(v.keyType))
      throw bad(`Unknown "keyType" value ${JSON.stringify(v.keyType ?? '')}`);
    const given = ['keyPath', 'keyPaths', 'keyData'].filter((k) => v[k] !== undefined);
    if (given.length !== 1) {
      throw bad(
        `Exactly one of keyPath, keyPaths and keyData must be specified, ${given.length === 0 ? 'none of them present' : 'more than one present'}`,
      );
    }
    let keys: KeySource;
    if (v.keyPath !== undefined) {
      if (typeof v.keyPath !== 'string' || v.keyPath === '') throw bad('"keyPath" must be a path');
      keys = { kind: 'paths', paths: [v.keyPath] };
    } else if (v.keyPaths !== undefined) {
      if (
        !Array.isArray(v.keyPaths) ||
        v.keyPaths.length === 0 ||
        v.keyPaths.some((p) => typeof p !== 'string' || p === '')
      )
        throw bad('"keyPaths" must be a non-empty list of paths');
      keys = { kind: 'paths', paths: v.keyPaths as string[] };
    } else {
      keys = { kind: 'data', data: base64(v.keyData, 'keyData') };
    }
    return { type: 'signedBy', keyType: v.keyType, keys, signedIdentity: identityOf(v, parseIdentity) };
  }
  for (const k of Object.keys(v)) {
    if (
      ![
        'type',
        'keyPath',
        'keyData',
        'fulcio',
        'rekorPublicKeyPath',
        'rekorPublicKeyData',
        'signedIdentity',
      ].includes(k)
    )
      throw bad(`Unknown key "${k}"`);
  }
  const given = ['keyPath', 'keyData', 'fulcio'].filter((k) => v[k] !== undefined);
  if (given.length !== 1) {
    throw bad(
      `exactly one of keyPath, keyData and fulcio must be specified, ${given.length === 0 ? 'none of them present' : 'more than one present'}`,
    );
  }
  const signedIdentity = identityOf(v, parseIdentity);
  if (v.fulcio !== undefined)
    return { type: 'sigstoreSigned', keys: undefined, unsupported: 'fulcio', signedIdentity };
  if (v.rekorPublicKeyPath !== undefined || v.rekorPublicKeyData !== undefined) {
    return { type: 'sigstoreSigned', keys: undefined, unsupported: 'rekorPublicKey', signedIdentity };
  }
  const keys: KeySource =
    v.keyPath !== undefined
      ? {
          kind: 'paths',
          paths: [
            typeof v.keyPath === 'string' && v.keyPath !== '' ? v.keyPath : fail('"keyPath" must be a path'),
          ],
        }
      : { kind: 'data', data: base64(v.keyData, 'keyData') };
  return { type: 'sigstoreSigned', keys, signedIdentity };
}

function fail(message: string): never {
  throw bad(message);
}

/** The key files' bytes; a missing file is an error, never "no keys, allow". */
export async function readKeySource(keys: KeySource): Promise<{ data: Uint8Array; source: string }[]> {
  if (keys.kind === 'data') return [{ data: keys.data, source: 'the policy keyData' }];
  const out = [];
  for (const path of keys.paths) {
    try {
      out.push({ data: new Uint8Array(await readFile(path)), source: path });
    } catch (cause) {
      throw new InvalidInputError(
        'POLICY_KEY_UNREADABLE',
        `reading the policy key ${path}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  return out;
}

/** What a signature requirement needs to see of an image: its exact manifest bytes, its signatures, its name. */
export interface PolicyImage {
  /** The name as a registry reference (`registry/repo:tag`), when the image has one. */
  readonly dockerReference: string | undefined;
  manifest(): Promise<Uint8Array>;
  signatures(): Promise<readonly ImageSignature[]>;
}
