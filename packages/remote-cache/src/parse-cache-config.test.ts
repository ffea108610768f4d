import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { parseCacheConfig } from './parse-cache-config.js';

const blob = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('parseCacheConfig on hostile input', () => {
  it('reads a chain of 100000 layers in linear time (each parent walked once)', () => {
    const layers = Array.from({ length: 100_000 }, (_, i) => ({ blob: blob(i), parent: i - 1 }));
    const started = performance.now();
    const config = parseCacheConfig(JSON.stringify({ layers, records: [] }));
    // Walking every chain to its end is 5e9 steps: many seconds on any machine.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(config.layers).toHaveLength(100_000);
    expect(config.layers[99_999]?.parent).toBe(99_998);
  });

  it('reads a chain of 100000 linked records without overflowing the stack', () => {
    // Each record links to the next: a walk from the first goes all the way down.
    const records = Array.from({ length: 100_000 }, (_, i) => ({
      digest: blob(i),
      inputs: i === 99_999 ? [] : [[{ selector: '', link: i + 1 }]],
    }));
    const config = parseCacheConfig(JSON.stringify({ layers: [], records }));
    expect(config.records[0]?.inputs[0]?.[0]?.link).toBe(1);
  });

  it('still finds loops of parents and of links', () => {
    const parents = { layers: [0, 2, 1].map((parent, i) => ({ blob: blob(i), parent })), records: [] };
    parents.layers[0] = { blob: blob(0), parent: -1 };
    expect(thrown(() => parseCacheConfig(JSON.stringify(parents)))).toMatchObject({
      code: 'BAD_CACHE_CONFIG',
      message: expect.stringContaining('parent loop'),
    });
    const records = [1, 2, 0].map((link, i) => ({ digest: blob(i), inputs: [[{ link }]] }));
    expect(thrown(() => parseCacheConfig(JSON.stringify({ layers: [], records })))).toMatchObject({
      code: 'BAD_CACHE_CONFIG',
      message: expect.stringContaining('loop of input links'),
    });
  });

  it('refuses malformed and deeply nested JSON, and sizes that are not safe integers, as BAD_CACHE_CONFIG', () => {
    for (const text of ['{"layers":', `{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`]) {
      const e = thrown(() => parseCacheConfig(text));
      expect(e).toBeInstanceOf(InvalidInputError);
      expect(e).toMatchObject({ code: 'BAD_CACHE_CONFIG' });
    }
    const huge = { layers: [{ blob: blob(1), parent: -1, annotations: { size: 1e300 } }], records: [] };
    expect(thrown(() => parseCacheConfig(JSON.stringify(huge)))).toMatchObject({ code: 'BAD_CACHE_CONFIG' });
  });

  it('keeps a "__proto__" annotation as a key, never as a prototype', () => {
    const text = `{"layers":[{"blob":"${blob(1)}","parent":-1,"annotations":{"additional":{"__proto__":"x","a":"b"}}}],"records":[]}`;
    const additional = parseCacheConfig(text).layers[0]?.annotations?.additional;
    expect(Object.getPrototypeOf(additional)).toBe(Object.prototype);
    expect(Object.keys(additional ?? {})).toEqual(['__proto__', 'a']);
  });
});

describe('importInlineCache on a malformed inline cache', () => {
  it('is a BAD_INLINE_CACHE, not a SyntaxError', async () => {
    const { importInlineCache } = await import('./inline-cache.js');
    const config = {
      'moby.buildkit.cache.v0': Buffer.from('not json').toString('base64'),
      rootfs: { diff_ids: [] },
    };
    const error = thrown(() => importInlineCache(config, []));
    expect(error).not.toBeInstanceOf(SyntaxError);
    expect(error).toMatchObject({ code: 'BAD_INLINE_CACHE' });
  });
});
