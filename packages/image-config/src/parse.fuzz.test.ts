import { isLadingError } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHistoryFromConfig, parseImageConfig } from './parse.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const D1 = `sha256:${'1'.repeat(64)}`;
/** Keys a decoder must treat as data: Object.prototype's names among them. */
const key = fc.constantFrom('__proto__', 'constructor', 'toString', 'Env', 'User', 'x', 'created', 'History');
/** Small JSON values (fast-check's jsonValue makes big ones, slowly). */
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
);
const anyJson = fc.oneof(
  { weight: 3, arbitrary: scalar },
  fc.array(scalar, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), scalar, { maxKeys: 2 }),
);
/** A value of the right type, of a wrong one, or an object with hostile keys. */
const fieldValue = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 3, arbitrary: right as fc.Arbitrary<unknown> },
    anyJson,
    fc.dictionary(key, anyJson, { maxKeys: 3 }),
  );
const time = fc.constantFrom('2020-01-01T00:00:00Z', '2021-02-03T04:05:06.789+02:00', 'yesterday', '');
const strings = fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 });
const config = fc.record(
  {
    User: fieldValue(fc.string({ maxLength: 6 })),
    Env: fieldValue(strings),
    Cmd: fieldValue(strings),
    Labels: fieldValue(fc.dictionary(key, fc.string({ maxLength: 4 }), { maxKeys: 3 })),
    ExposedPorts: fieldValue(fc.dictionary(fc.constantFrom('80/tcp', '__proto__'), fc.constant({}))),
    Healthcheck: fieldValue(fc.record({ Test: strings, Interval: fc.integer() }, { requiredKeys: [] })),
    ArgsEscaped: fieldValue(fc.boolean()),
  },
  { requiredKeys: [] },
);
const imageConfig = fc.record(
  {
    architecture: fieldValue(fc.constantFrom('amd64', 'arm64')),
    os: fieldValue(fc.constant('linux')),
    variant: fieldValue(fc.constant('v8')),
    created: fieldValue(time),
    config: fieldValue(config),
    rootfs: fieldValue(
      fc.record({
        type: fieldValue(fc.constant('layers')),
        diff_ids: fieldValue(fc.array(fc.constantFrom(D1, 'sha256:1', 'md5:1'), { maxLength: 2 })),
      }),
    ),
    history: fieldValue(
      fc.array(fc.record({ created: time, created_by: fieldValue(fc.string()), empty_layer: fc.boolean() }), {
        maxLength: 2,
      }),
    ),
    ['__proto__']: fc.dictionary(key, anyJson, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** What a parsed config promises, checked from the outside. */
function checkParsed(c: ReturnType<typeof parseImageConfig>): void {
  expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
  expect(typeof c.architecture).toBe('string');
  expect(typeof c.os).toBe('string');
  for (const f of ['variant', 'author', 'created'] as const) {
    if (c[f] !== undefined) expect(typeof c[f]).toBe('string');
  }
  expect(c.rootfs.diff_ids === null || isStrings(c.rootfs.diff_ids)).toBe(true);
  if (c.config !== undefined) {
    expect(Object.getPrototypeOf(c.config)).toBe(Object.prototype);
    if (c.config.User !== undefined) expect(typeof c.config.User).toBe('string');
    for (const f of ['Env', 'Cmd'] as const)
      if (c.config[f] !== undefined) expect(isStrings(c.config[f])).toBe(true);
    if (c.config.Labels !== undefined) {
      expect(Object.values(c.config.Labels).every((v) => typeof v === 'string')).toBe(true);
    }
  }
  for (const h of c.history ?? []) {
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    if (h.created_by !== undefined) expect(typeof h.created_by).toBe('string');
  }
}

describe('parseImageConfig under random input', () => {
  it('near-valid configs with wrong types and hostile keys: a checked config or a typed error', () => {
    fc.assert(
      fc.property(imageConfig, (raw) => {
        const text = JSON.stringify(raw);
        try {
          checkParsed(parseImageConfig(text));
        } catch (e) {
          if (!isLadingError(e)) throw e;
          expect((e as { code?: string }).code).toBe('CONFIG_INVALID');
        }
        try {
          const h = parseHistoryFromConfig(new TextEncoder().encode(text));
          if (h !== undefined) expect(Array.isArray(h)).toBe(true);
        } catch (e) {
          if (!isLadingError(e)) throw e;
        }
      }),
      { numRuns },
    );
  });

  it('random bytes and cut-up configs: only typed errors', () => {
    const valid = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [D1] },
    });
    const cut = fc
      .tuple(fc.nat({ max: valid.length }), fc.nat({ max: 6 }), fc.string({ maxLength: 6 }))
      .map(([at, drop, insert]) => valid.slice(0, at) + insert + valid.slice(at + drop));
    fc.assert(
      fc.property(fc.oneof(cut, fc.string({ unit: 'binary', maxLength: 80 })), (input) => {
        try {
          checkParsed(parseImageConfig(input));
        } catch (e) {
          if (!isLadingError(e)) throw e;
        }
      }),
      { numRuns },
    );
  });
});
