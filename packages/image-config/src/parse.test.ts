import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { encodeImageConfig } from './encode.js';
import { parseHistoryFromConfig, parseImageConfig } from './parse.js';

const base = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
const text = (extra: Record<string, string>) =>
  JSON.stringify(base).replace(
    /}$/,
    `${Object.entries(extra)
      .map(([k, v]) => `,${JSON.stringify(k)}:${v}`)
      .join('')}}`,
  );

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('"__proto__" keys in an image config', () => {
  it('do not give the parsed config a prototype whose fields skip validation', () => {
    // A computed key: the literal `{ __proto__: ... }` would itself set a prototype.
    const c = parseImageConfig(text({ ['__proto__']: '{"variant":7,"author":{"x":1}}' }));
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(c.variant).toBeUndefined();
    expect(c.author).toBeUndefined();
    // Kept as what it is, an unknown key, so the config re-encodes with it.
    expect(Object.keys(c)).toContain('__proto__');
    expect(JSON.stringify(c)).toContain('"__proto__":{"variant":7,"author":{"x":1}}');
  });

  it('nor in config: User and Env stay unset instead of arriving unchecked', () => {
    const c = parseImageConfig(text({ config: '{"__proto__":{"User":5,"Env":"not a list"},"Cmd":["sh"]}' }));
    expect(Object.getPrototypeOf(c.config)).toBe(Object.prototype);
    expect(c.config?.User).toBeUndefined();
    expect(c.config?.Env).toBeUndefined();
    expect(c.config?.Cmd).toEqual(['sh']);
  });

  it('nor in a history entry', () => {
    const h = parseHistoryFromConfig('{"history":[{"__proto__":{"created_by":7},"comment":"c"}]}');
    expect(h).toEqual([{ comment: 'c' }]);
    expect(h?.[0]?.created_by).toBeUndefined();
  });
});

describe('image config limits', () => {
  it('refuses nesting beyond 1000 levels with CONFIG_INVALID, and re-encodes one at the limit', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const e = thrown(() => parseImageConfig(text({ x: deep(1000) })));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((e as Error).message).toContain('more than 1000 levels deep');
    // 999 inside the top-level object: the limit itself, which must not overflow anything that walks it after.
    const atLimit = parseImageConfig(text({ x: deep(999) }));
    expect(new TextDecoder().decode(encodeImageConfig(atLimit))).toContain(deep(999));
  });

  it('takes a config of exactly 8 MiB and refuses one byte more, as bytes or as text', () => {
    const size = 8 * 1024 * 1024;
    const head = text({ pad: '""' });
    const padded = (n: number) => `${head.slice(0, -2)}${'x'.repeat(n - head.length)}"}`;
    const exact = new TextEncoder().encode(padded(size));
    expect(exact.byteLength).toBe(size);
    expect(parseImageConfig(exact).architecture).toBe('amd64');
    expect(parseImageConfig(padded(size)).architecture).toBe('amd64');
    const over = new TextEncoder().encode(padded(size + 1));
    const e = thrown(() => parseImageConfig(over));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((e as Error).message).toBe(`image config is ${size + 1} bytes, more than the ${size} allowed`);
    expect(thrown(() => parseImageConfig(padded(size + 1)))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(thrown(() => parseHistoryFromConfig(over))).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('measures text as UTF-8: 3 Mi euro signs are 9 MiB', () => {
    const euros = text({ pad: `"${'€'.repeat(3 * 1024 * 1024)}"` });
    expect(euros.length).toBeLessThan(8 * 1024 * 1024);
    expect(thrown(() => parseImageConfig(euros))).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('refuses a byte-order mark, as Go does', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify(base))]);
    expect(thrown(() => parseImageConfig(bom))).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
