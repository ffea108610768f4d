import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, scryptSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@lading/digest';
import { parseNormalizedReference } from '@lading/reference-store/reference';
import { makeTempDir } from '@lading/testkit';
import { secretbox } from '@noble/ciphers/salsa.js';
import { generateKey } from 'openpgp';
import { describe, expect, it } from 'vitest';
import {
  cosignSignatureTag,
  decodePayload,
  decodeSignatureBlob,
  encodePayload,
  encodeSignatureBlob,
  generateCosignKeyPair,
  type ImageSignature,
  identityMatches,
  loadRegistriesConfig,
  loadSigningKey,
  lookasideBase,
  lookasideUrl,
  readCosignPrivateKey,
  readVerificationKeys,
  referenceNamespaces,
  verifyImageSignatures,
} from './index.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const enc = (s: string) => new TextEncoder().encode(s);

describe('payloads', () => {
  it('are written in Go map order, as containers/image marshals them', () => {
    const d = sha256('m');
    const bytes = encodePayload('atomic container signature', d, 'example.com/a:1', {
      creator: 'x',
      timestamp: 7,
    });
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"critical":{"identity":{"docker-reference":"example.com/a:1"},"image":{"docker-manifest-digest":"${d}"},"type":"atomic container signature"},"optional":{"creator":"x","timestamp":7}}`,
    );
    expect(decodePayload(bytes, 'atomic container signature')).toEqual({
      type: 'atomic container signature',
      manifestDigest: d,
      dockerReference: 'example.com/a:1',
      creator: 'x',
      timestamp: 7,
    });
  });

  it('are read as strictly as containers/image reads them', () => {
    const d = sha256('m');
    const critical = `"identity":{"docker-reference":"a/b:1"},"image":{"docker-manifest-digest":"${d}"},"type":"atomic container signature"`;
    const bad = [
      // a second digest: JSON.parse would keep the last, Go the first
      `{"critical":{${critical},"image":{"docker-manifest-digest":"${sha256('other')}"}},"optional":{}}`,
      `{"critical":{${critical},"extra":1},"optional":{}}`,
      `{"critical":{${critical}},"optional":{"timestamp":1.5}}`,
      `{"critical":{${critical}}}`,
      `{"critical":{${critical.replace('atomic container signature', 'cosign container image signature')}},"optional":{}}`,
    ];
    for (const text of bad) {
      expect(() => decodePayload(enc(text), 'atomic container signature'), text).toThrow(
        expect.objectContaining({ kind: 'invalid-input' }),
      );
    }
    // cosign writes "optional": null
    const cosign = `{"critical":{${critical.replace('atomic container signature', 'cosign container image signature')}},"optional":null}`;
    expect(decodePayload(enc(cosign), 'cosign container image signature').manifestDigest).toBe(d);
  });
});

describe('signature blobs', () => {
  it('simple signatures are kept as they are; cosign ones as \\0sigstore-json\\n and JSON', () => {
    const sig: ImageSignature = {
      format: 'sigstore',
      mimeType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      payload: enc('{"a":1}'),
      annotations: { 'dev.cosignproject.cosign/signature': 'c2ln' },
    };
    const blob = encodeSignatureBlob(sig);
    expect(Buffer.from(blob).toString('latin1')).toBe(
      `\0sigstore-json\n{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"${Buffer.from('{"a":1}').toString('base64')}","annotations":{"dev.cosignproject.cosign/signature":"c2ln"}}`,
    );
    expect(decodeSignatureBlob(blob)).toEqual(sig);
    const pgp = new Uint8Array([0xa3, 1, 2]);
    expect(decodeSignatureBlob(pgp)).toEqual({ format: 'simple-signing', blob: pgp });
    expect(() => decodeSignatureBlob(enc('hello'))).toThrow(/unrecognized signature format/);
    expect(() => decodeSignatureBlob(new Uint8Array([0, 0x41]))).toThrow(/missing newline/);
  });
});

describe('cosign keys', () => {
  it('are go-securesystemslib envelopes that an independent scrypt + secretbox opens', async () => {
    const pair = await generateCosignKeyPair('pw');
    const body = pair.privateKeyPem.split('\n').slice(1, -2).join('');
    const envelope = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
    expect(Object.keys(envelope)).toEqual(['kdf', 'cipher', 'ciphertext']);
    expect(envelope.kdf.params).toEqual({ N: 32768, r: 8, p: 1 });
    expect(envelope.cipher.name).toBe('nacl/secretbox');
    const key = scryptSync('pw', Buffer.from(envelope.kdf.salt, 'base64'), 32, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 1 << 26,
    });
    const pkcs8 = secretbox(key, Buffer.from(envelope.cipher.nonce, 'base64')).open(
      Buffer.from(envelope.ciphertext, 'base64'),
    );
    const priv = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(createPublicKey(priv).export({ format: 'pem', type: 'spki' })).toBe(pair.publicKeyPem);
  });

  it('a wrong passphrase, a tampered cost, another PEM type: typed errors without the secret', async () => {
    const pair = await generateCosignKeyPair('the secret');
    const err = await readCosignPrivateKey(pair.privateKeyPem, { passphrase: 'wrong guess' }).catch((e) => e);
    expect(err.code).toBe('WRONG_PASSPHRASE');
    expect(String(err.message)).not.toMatch(/wrong guess|the secret/);
    const body = pair.privateKeyPem.split('\n').slice(1, -2).join('');
    const envelope = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
    envelope.kdf.params.N = 1 << 22;
    const costly = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(JSON.stringify(envelope)).toString('base64')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`;
    await expect(readCosignPrivateKey(costly, { passphrase: 'the secret' })).rejects.toMatchObject({
      code: 'KEY_INVALID',
    });
    const sigstore = pair.privateKeyPem.replaceAll('COSIGN', 'SIGSTORE');
    await expect(readCosignPrivateKey(sigstore, { passphrase: 'the secret' })).resolves.toBeDefined();
    await expect(loadSigningKey(pair.publicKeyPem)).rejects.toMatchObject({ code: 'KEY_NOT_PRIVATE' });
    await expect(loadSigningKey('nothing of the sort')).rejects.toMatchObject({ code: 'KEY_UNKNOWN_TYPE' });
  });
});

describe('verification verdicts', () => {
  const manifest = enc('{"schemaVersion":2,"layers":[]}');
  const ref = 'registry.example/app:1';

  it('OpenPGP: verified, wrong key, mismatch over another digest or name, altered bytes, unsigned', async () => {
    const mk = () =>
      generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 't' }], format: 'armored' });
    const [mine, other] = await Promise.all([mk(), mk()]);
    const signer = await loadSigningKey(mine.privateKey);
    const keys = await readVerificationKeys([{ data: enc(mine.publicKey), source: 'mine' }]);
    const otherKeys = await readVerificationKeys([{ data: enc(other.publicKey), source: 'other' }]);
    const good = await signer.sign(sha256(manifest), ref);
    const opts = { keys, manifest, reference: ref };
    expect((await verifyImageSignatures([good], opts)).verdict).toBe('verified');
    expect((await verifyImageSignatures([good], { ...opts, keys: otherKeys })).verdict).toBe('wrong-key');
    expect((await verifyImageSignatures([await signer.sign(sha256('other'), ref)], opts)).verdict).toBe(
      'mismatch',
    );
    expect(
      (await verifyImageSignatures([await signer.sign(sha256(manifest), 'registry.example/app:2')], opts))
        .verdict,
    ).toBe('mismatch');
    // by digest, any name of the repository is accepted (matchRepoDigestOrExact)
    expect(
      (
        await verifyImageSignatures([good], {
          ...opts,
          reference: `registry.example/app@${sha256(manifest)}`,
        })
      ).verdict,
    ).toBe('verified');
    if (good.format !== 'simple-signing') throw new Error('unexpected');
    const altered = new Uint8Array(good.blob);
    const at = Buffer.from(altered).indexOf('registry.example');
    altered[at] = 'R'.charCodeAt(0);
    expect((await verifyImageSignatures([{ format: 'simple-signing', blob: altered }], opts)).verdict).toBe(
      'mismatch',
    );
    expect((await verifyImageSignatures([], opts)).verdict).toBe('unsigned');
    // formats: a simple signature does not satisfy a cosign-only check
    expect((await verifyImageSignatures([good], { ...opts, formats: ['sigstore'] })).verdict).toBe(
      'unsigned',
    );
  });

  it('cosign: a signature made by node:crypto directly verifies; another key is wrong-key', async () => {
    const pair = await generateCosignKeyPair('');
    const key = await readCosignPrivateKey(pair.privateKeyPem, { passphrase: '' });
    const payload = encodePayload('cosign container image signature', sha256(manifest), ref);
    const sig: ImageSignature = {
      format: 'sigstore',
      mimeType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      payload,
      annotations: {
        'dev.cosignproject.cosign/signature': nodeSign('sha256', payload, key.key).toString('base64'),
      },
    };
    const keys = await readVerificationKeys([{ data: enc(pair.publicKeyPem), source: 'pub' }]);
    expect((await verifyImageSignatures([sig], { keys, manifest, reference: ref })).verdict).toBe('verified');
    const other = await generateCosignKeyPair('');
    const otherKeys = await readVerificationKeys([{ data: enc(other.publicKeyPem), source: 'other' }]);
    expect((await verifyImageSignatures([sig], { keys: otherKeys, manifest, reference: ref })).verdict).toBe(
      'wrong-key',
    );
    // not a signature (another attachment type): ignored
    const attachment = { ...sig, mimeType: 'application/vnd.in-toto+json' };
    expect((await verifyImageSignatures([attachment], { keys, manifest, reference: ref })).verdict).toBe(
      'unsigned',
    );
  });
});

describe('signed identities (containers/image policy_reference_match.go)', () => {
  const table: [Parameters<typeof identityMatches>[0], string, string, boolean][] = [
    [{ type: 'matchRepoDigestOrExact' }, 'example.com/a:1', 'example.com/a:1', true],
    [{ type: 'matchRepoDigestOrExact' }, 'example.com/a:1', 'example.com/a:2', false],
    [{ type: 'matchRepoDigestOrExact' }, `example.com/a@${sha256('x')}`, 'example.com/a:7', true],
    [{ type: 'matchRepoDigestOrExact' }, 'example.com/a:1', 'example.com/a', false],
    [{ type: 'matchExact' }, `example.com/a@${sha256('x')}`, 'example.com/a:7', false],
    [{ type: 'matchRepository' }, 'example.com/a:1', 'example.com/a:9', true],
    [{ type: 'matchRepository' }, 'example.com/a:1', 'example.com/b:1', false],
    [
      { type: 'exactReference', dockerReference: 'busybox:1' },
      'whatever.example/x:1',
      'docker.io/library/busybox:1',
      true,
    ],
    [
      { type: 'exactRepository', dockerRepository: 'busybox' },
      'x.example/y:1',
      'docker.io/library/busybox:5',
      true,
    ],
    [
      { type: 'remapIdentity', prefix: 'mirror.example', signedPrefix: 'example.com' },
      'mirror.example/a:1',
      'example.com/a:1',
      true,
    ],
    [
      { type: 'remapIdentity', prefix: 'mirror.example', signedPrefix: 'example.com' },
      'mirror.example.org/a:1',
      'example.com/a:1',
      false,
    ],
  ];
  for (const [rule, image, signed, want] of table) {
    it(`${rule.type}: ${image} signed as ${signed} -> ${want}`, () => {
      expect(identityMatches(rule, image, signed)).toBe(want);
    });
  }
});

describe('registries.d', () => {
  it('merges the yaml files, matches the most specific namespace, and refuses one defined twice', async () => {
    await using dir = await makeTempDir('lading-registries-d-');
    const d = join(dir.path, 'registries.d');
    await mkdir(d);
    await writeFile(join(d, 'a.yaml'), 'default-docker:\n  lookaside: https://sigs.example/default\n');
    await writeFile(
      join(d, 'b.yaml'),
      'docker:\n  registry.example/team:\n    lookaside: https://sigs.example/team\n    lookaside-staging: file:///stage/team\n  registry.example:\n    sigstore: https://sigs.example/old\n',
    );
    await writeFile(join(d, 'ignored.conf'), 'not yaml at all: [');
    const config = await loadRegistriesConfig({ dir: d });
    const team = parseNormalizedReference('registry.example/team/app:1');
    expect(lookasideBase(config, team, { write: false }).href).toBe('https://sigs.example/team/team/app');
    expect(lookasideBase(config, team, { write: true }).href).toBe('file:///stage/team/team/app');
    expect(
      lookasideBase(config, parseNormalizedReference('registry.example/other:1'), { write: false }).href,
    ).toBe('https://sigs.example/old/other');
    expect(
      lookasideBase(config, parseNormalizedReference('elsewhere.example/x:1'), { write: true }).href,
    ).toBe('https://sigs.example/default/x');
    const digest = sha256('m');
    expect(lookasideUrl(new URL('file:///s/team/app'), digest, 0).href).toBe(
      `file:///s/team/app@sha256=${digest.slice(7)}/signature-1`,
    );
    expect(referenceNamespaces(parseNormalizedReference('a.b.example:5000/ns/app:1'))).toEqual([
      'a.b.example:5000/ns/app:1',
      'a.b.example:5000/ns/app',
      'a.b.example:5000/ns',
      'a.b.example:5000',
      '*.b.example',
      '*.example',
    ]);
    await writeFile(join(d, 'c.yaml'), 'docker:\n  registry.example:\n    lookaside: https://x\n');
    await expect(loadRegistriesConfig({ dir: d })).rejects.toMatchObject({ code: 'REGISTRIES_D_INVALID' });
    expect(cosignSignatureTag(digest)).toBe(`sha256-${digest.slice(7)}.sig`);
  });
});
