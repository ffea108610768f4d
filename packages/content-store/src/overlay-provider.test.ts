import { digestOf, isNotFoundError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { readBlob, writeBlob } from './blob-helpers.js';
import { createMemoryStore } from './memory-store.js';
import { overlayProvider } from './overlay-provider.js';
import type { Provider } from './types.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = async (p: Provider, d: Parameters<Provider['info']>[0]) =>
  new TextDecoder().decode(await readBlob(p, { digest: d }));

describe('overlayProvider', () => {
  it('reads each blob from the first provider that holds it', async () => {
    const top = createMemoryStore();
    const middle = createMemoryStore();
    const bottom = createMemoryStore();
    const shared = bytes('in every store');
    for (const s of [top, middle, bottom]) await writeBlob(s, shared);
    await writeBlob(middle, bytes('middle only'));
    await writeBlob(bottom, bytes('bottom only'));
    const seen: string[] = [];
    const spy = (name: string, p: Provider): Provider => ({
      info: (d) => p.info(d),
      read: (ref, o) => {
        seen.push(name);
        return p.read(ref, o);
      },
    });
    const o = overlayProvider(spy('top', top), spy('middle', middle), spy('bottom', bottom));
    expect(await text(o, digestOf(shared))).toBe('in every store');
    expect(await text(o, digestOf(bytes('middle only')))).toBe('middle only');
    expect(await text(o, digestOf(bytes('bottom only')))).toBe('bottom only');
    expect(seen).toEqual(['top', 'middle', 'bottom']);
    expect((await o.info(digestOf(bytes('bottom only')))).size).toBe('bottom only'.length);
  });

  it('answers a blob none holds with the last provider NotFoundError, from info and from read', async () => {
    const o = overlayProvider(createMemoryStore(), createMemoryStore());
    const absent = digestOf(bytes('nowhere'));
    const fromInfo = await o.info(absent).catch((e: unknown) => e);
    expect(isNotFoundError(fromInfo)).toBe(true);
    const fromRead = await readBlob(o, { digest: absent }).catch((e: unknown) => e);
    expect(isNotFoundError(fromRead)).toBe(true);
  });

  it('is the provider itself when given one, and refuses none', () => {
    const only = createMemoryStore();
    expect(overlayProvider(only)).toBe(only);
    expect(() => overlayProvider()).toThrow(TypeError);
  });
});
