import { digestOf, InvalidInputError, isLadingError, parseDigest } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withCmd, withEntrypoint, withEnv, withExposedPorts, withLabels, withVolumes } from './edit.js';
import { emptyImageConfig, emptyImageConfigBytes } from './empty.js';
import { encodeImageConfig } from './encode.js';
import { clampToEpoch } from './epoch.js';
import { imageId } from './image-id.js';
import { parseHistoryFromConfig, parseImageConfig } from './parse.js';
import { patchImageConfig } from './patch.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const D1 = parseDigest(`sha256:${'1'.repeat(64)}`);
const D2 = parseDigest(`sha256:${'2'.repeat(64)}`);

describe('emptyImageConfig', () => {
  it('writes the bytes Go writes for linux/amd64 (by hand from moby mobyexporter/writer.go and the image-spec struct)', () => {
    expect(text(emptyImageConfigBytes({ os: 'linux', architecture: 'amd64' }))).toBe(
      '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":null}}',
    );
  });

  it('normalises the platform and keeps the variant', () => {
    expect(emptyImageConfig({ os: 'linux', architecture: 'aarch64', variant: 'v8' })).toMatchObject({
      architecture: 'arm64',
      os: 'linux',
    });
    expect(emptyImageConfig({ os: 'linux', architecture: 'arm64', variant: 'v8' }).variant).toBeUndefined();
    expect(text(emptyImageConfigBytes({ os: 'linux', architecture: 'arm', variant: 'v7' }))).toContain(
      '"architecture":"arm","os":"linux","variant":"v7",',
    );
    expect(emptyImageConfig({ os: 'windows', architecture: 'amd64' }).config?.Env).toEqual(['PATH=']);
  });
});

describe('patchImageConfig', () => {
  it('sorts members, keeps unknown members byte for byte (compacted), escapes as Go does', () => {
    const input =
      '{"os":"linux","architecture":"amd64","config":{"Env":["A=<b>&c"]},"zzz":  {"k" : 1.50, "a":[1, 2]}}';
    const out = patchImageConfig(input, [D1], [{ created: '2020-01-01T00:00:00Z', created_by: 'x' }]);
    expect(text(out)).toBe(
      `{"architecture":"amd64","config":{"Env":["A=\\u003cb\\u003e\\u0026c"]},"created":"2020-01-01T00:00:00Z","history":[{"created":"2020-01-01T00:00:00Z","created_by":"x"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["${D1}"]},"zzz":{"k":1.50,"a":[1,2]}}`,
    );
  });

  it('keeps an existing created, writes null history and diff_ids when there is nothing', () => {
    const out = patchImageConfig('{"created":"2019-01-01T00:00:00Z","os":"linux"}', [], undefined);
    expect(text(out)).toBe(
      '{"created":"2019-01-01T00:00:00Z","history":null,"os":"linux","rootfs":{"type":"layers","diff_ids":null}}',
    );
  });

  it('takes created from the last history entry that has a time, or null', () => {
    const h = [
      { created: '2020-01-01T00:00:00Z' },
      { created: '2021-06-01T10:00:00.5Z' },
      { created_by: 'x' },
    ];
    expect(JSON.parse(text(patchImageConfig('{}', [], h))).created).toBe('2021-06-01T10:00:00.5Z');
    expect(text(patchImageConfig('{}', [], [{ created_by: 'x' }]))).toContain('"created":null');
  });

  it('embeds inline cache as base64 under moby.buildkit.cache.v0', () => {
    const cache = new TextEncoder().encode('{"layers":[]}');
    const out = JSON.parse(text(patchImageConfig('{}', [D1, D2], [], cache)));
    expect(Buffer.from(out['moby.buildkit.cache.v0'], 'base64').toString()).toBe('{"layers":[]}');
    expect(out.rootfs.diff_ids).toEqual([D1, D2]);
  });

  it.each([
    ['malformed JSON', '{"os":'],
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"x"'],
  ])('refuses %s with a typed error', (_n, input) => {
    expect(() => patchImageConfig(input, [], undefined)).toThrow(InvalidInputError);
  });

  it('says "null image config" for null, as moby mobyexporter/writer.go does', () => {
    expect(() => patchImageConfig('null', [], undefined)).toThrow(/null image config/);
  });
});

describe('parseImageConfig and encodeImageConfig', () => {
  it('round-trips and keeps unknown fields', () => {
    const raw = {
      created: '2024-01-02T03:04:05.120Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['A=1'], Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 }, Custom: { x: 1 } },
      rootfs: { type: 'layers', diff_ids: [D1] },
      history: [{ created_by: 'x', empty_layer: true }],
      'vendor.extra': [1, 'two'],
    };
    const cfg = parseImageConfig(JSON.stringify(raw));
    expect(cfg['vendor.extra']).toEqual([1, 'two']);
    expect(cfg.created).toBe('2024-01-02T03:04:05.12Z');
    const again = parseImageConfig(encodeImageConfig(cfg));
    expect(again).toEqual(cfg);
    expect(text(encodeImageConfig(cfg))).toBe(
      `{"created":"2024-01-02T03:04:05.12Z","architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000},"Custom":{"x":1}},"rootfs":{"type":"layers","diff_ids":["${D1}"]},"history":[{"created_by":"x","empty_layer":true}],"vendor.extra":[1,"two"]}`,
    );
  });

  it.each([
    ['malformed JSON', '{', /not valid JSON/],
    ['null', 'null', /null image config/],
    ['architecture not a string', '{"architecture":1}', /architecture/],
    ['bad diff_id', '{"rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}', /diff_ids\[0\]/],
    ['history not a list', '{"history":{}}', /history/],
    ['bad history time', '{"history":[{"created":"yesterday"}]}', /history\[0\]\.created/],
    ['Env not strings', '{"config":{"Env":[1]}}', /config\.Env/],
    ['Labels not strings', '{"config":{"Labels":{"a":1}}}', /config\.Labels/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /UTF-8/],
  ] as const)('refuses %s with a message naming the field', (_n, input, message) => {
    expect(() => parseImageConfig(input)).toThrow(message);
  });

  it('reads history as Go does: field names case-insensitively, unknown fields dropped, times normalised', () => {
    const h = parseHistoryFromConfig(
      '{"History":[{"Created":"2020-01-01T00:00:00.000000000+02:00","CREATED_BY":"x","junk":1}]}',
    );
    expect(h).toEqual([{ created: '2020-01-01T00:00:00+02:00', created_by: 'x' }]);
    expect(parseHistoryFromConfig('{}')).toBeUndefined();
    expect(parseHistoryFromConfig('{"history":[]}')).toEqual([]);
  });

  it('image ID is the sha256 of the exact config bytes', () => {
    const bytes = emptyImageConfigBytes({ os: 'linux', architecture: 'amd64' });
    expect(imageId(bytes)).toBe(digestOf(bytes));
  });

  it('only ever throws typed errors on random or mutated input (property)', () => {
    const base = text(patchImageConfig(emptyImageConfigBytes(), [D1], [{ created: '2020-01-01T00:00:00Z' }]));
    const mutated = fc
      .tuple(fc.nat({ max: base.length }), fc.nat({ max: 8 }), fc.string({ maxLength: 8 }))
      .map(([at, cut, insert]) => base.slice(0, at) + insert + base.slice(at + cut));
    const inputs = fc.oneof(
      fc.json(),
      fc.string(),
      mutated,
      fc.jsonValue().map((v) => JSON.stringify({ history: v })),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        for (const f of [
          () => parseImageConfig(input),
          () => parseHistoryFromConfig(input),
          () => patchImageConfig(input, [D1], undefined),
        ]) {
          try {
            f();
          } catch (e) {
            if (!isLadingError(e)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decode(encode(x)) == x for generated configs (property)', () => {
    const cfg = fc.record(
      {
        architecture: fc.constantFrom('amd64', 'arm64'),
        os: fc.constant('linux'),
        created: fc.constantFrom('2020-01-01T00:00:00Z', '2021-02-03T04:05:06.789Z'),
        config: fc.record(
          { Env: fc.array(fc.string().map((s) => `K=${s}`)), Cmd: fc.array(fc.string()), User: fc.string() },
          { requiredKeys: [] },
        ),
        rootfs: fc.record({ type: fc.constant('layers'), diff_ids: fc.constantFrom([D1], [D1, D2]) }),
        history: fc.array(
          fc.record({ created_by: fc.string({ minLength: 1 }), empty_layer: fc.constant(true) }),
        ),
      },
      { requiredKeys: ['architecture', 'os', 'rootfs'] },
    );
    fc.assert(
      fc.property(cfg, (c) => {
        const once = parseImageConfig(encodeImageConfig(parseImageConfig(JSON.stringify(c))));
        expect(parseImageConfig(encodeImageConfig(once))).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });
});

describe('config edits', () => {
  const base = emptyImageConfig({ os: 'linux', architecture: 'amd64' });

  it('env replaces in place, appends new keys, removes KEY-', () => {
    const c = withEnv(withEnv(base, ['A=1', 'B=2']), ['PATH=/bin', 'A-', 'C=x=y']);
    expect(c.config?.Env).toEqual(['PATH=/bin', 'B=2', 'C=x=y']);
    expect(() => withEnv(base, ['=x'])).toThrow(InvalidInputError);
  });

  it('entrypoint clears an inherited cmd unless asked', () => {
    const c = withCmd(base, ['sh']);
    expect(withEntrypoint(c, ['/init']).config?.Cmd).toBeUndefined();
    expect(withEntrypoint(c, ['/init'], { keepCmd: true }).config?.Cmd).toEqual(['sh']);
  });

  it('labels, ports and volumes', () => {
    const c = withVolumes(
      withExposedPorts(withLabels(base, { a: '1', b: '2' }), ['80', '53/UDP', '8000-8002']),
      ['/data'],
    );
    expect(withLabels(c, { a: undefined }).config?.Labels).toEqual({ b: '2' });
    expect(c.config?.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {}, '8000-8002/tcp': {} });
    expect(c.config?.Volumes).toEqual({ '/data': {} });
    expect(() => withExposedPorts(base, ['http'])).toThrow(/invalid port/);
    expect(() => withExposedPorts(base, ['70000'])).toThrow(/invalid port/);
  });

  it('the original is never changed', () => {
    withEnv(base, ['X=1']);
    expect(base.config?.Env).toHaveLength(1);
  });
});

describe('clampToEpoch', () => {
  it('clamps created, new history and the created label; never base history', () => {
    const cfg = withLabels(
      {
        ...base(),
        created: '2030-01-01T00:00:00Z',
        history: [
          { created: '2029-01-01T00:00:00Z', created_by: 'base' },
          { created: '2031-01-01T00:00:00Z' },
          {},
          { created: '1999-01-01T00:00:00Z' },
        ],
      },
      { 'org.opencontainers.image.created': '2030-05-05T00:00:00Z', other: 'x' },
    );
    const epoch = new Date('2000-01-01T00:00:00Z');
    const c = clampToEpoch(cfg, epoch, { baseHistoryLength: 1 });
    expect(c.created).toBe('2000-01-01T00:00:00Z');
    expect(c.history?.map((h) => h.created)).toEqual([
      '2029-01-01T00:00:00Z',
      '2000-01-01T00:00:00Z',
      '2000-01-01T00:00:00Z',
      '1999-01-01T00:00:00Z',
    ]);
    expect(c.config?.Labels).toEqual({
      'org.opencontainers.image.created': '2000-01-01T00:00:00Z',
      other: 'x',
    });
  });

  function base() {
    return emptyImageConfig({ os: 'linux', architecture: 'amd64' });
  }
});
