import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { decodeAny, decodeIndex, decodeManifest } from './decode.js';

const digest = `sha256:${'a'.repeat(64)}`;
const descriptor = `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${digest}","size":2}`;
const manifest = (extra: string) =>
  new TextEncoder().encode(
    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":${descriptor},"layers":[]${extra}}`,
  );

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('manifest JSON', () => {
  it('refuses nesting beyond 1000 levels as MANIFEST_INVALID in every decoder, never a RangeError', () => {
    const deep = manifest(`,"annotations":{},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    for (const decode of [decodeManifest, decodeIndex, decodeAny]) {
      const e = thrown(() => decode(deep));
      expect(e).toBeInstanceOf(InvalidInputError);
      expect(e).toMatchObject({ code: 'MANIFEST_INVALID' });
      expect((e as Error).message).toContain('more than 1000 levels deep');
    }
    expect(decodeManifest(manifest(`,"x":${'['.repeat(999)}${']'.repeat(999)}`)).value.layers).toEqual([]);
  });

  it('keeps "__proto__" keys as keys: nothing reads through them, the bytes keep them', () => {
    const bytes = manifest(',"__proto__":{"annotations":5,"subject":"x"}');
    const d = decodeManifest(bytes);
    expect(Object.getPrototypeOf(d.value)).toBe(Object.prototype);
    expect(d.value.annotations).toBeUndefined();
    expect(d.value.subject).toBeUndefined();
    expect(d.bytes).toBe(bytes);
    const config = decodeManifest(
      new TextEncoder().encode(
        `{"schemaVersion":2,"config":${descriptor.replace(/}$/, ',"__proto__":{"urls":5,"platform":1}}')},"layers":[]}`,
      ),
    ).value.config;
    expect(config.urls).toBeUndefined();
    expect(config.platform).toBeUndefined();
  });

  it('refuses a byte-order mark and bad UTF-8 as MANIFEST_INVALID', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...manifest('')]);
    expect(thrown(() => decodeManifest(bom))).toMatchObject({ code: 'MANIFEST_INVALID' });
    const bad = new Uint8Array([...manifest('').subarray(0, 20), 0xc3, 0x28, ...manifest('').subarray(20)]);
    expect(thrown(() => decodeManifest(bad))).toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});
