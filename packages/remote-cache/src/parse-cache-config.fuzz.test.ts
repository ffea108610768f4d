import { isLadingError } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCacheConfig } from './parse-cache-config.js';
import type { CacheConfig } from './spec.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const blob = fc.constantFrom(`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`);
const time = fc.constantFrom('2024-01-01T00:00:00Z', '0001-01-01T00:00:00Z');
const annotations = fc.record(
  {
    createdAt: time,
    size: fc.nat(),
    mediaType: fc.constant('application/vnd.oci.image.layer.v1.tar+gzip'),
    diffID: blob,
    additional: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a'), fc.string({ maxLength: 3 })),
  },
  { requiredKeys: [] },
);
type Link = { selector: string; link: number };

/**
 * A config whose indices are all in range. `acyclic`: parents point below and links to later records, so nothing
 * loops (a valid config by construction); otherwise they point anywhere, and loops are common.
 */
const graph = (acyclic: boolean) =>
  fc.tuple(fc.nat({ max: 6 }), fc.nat({ max: 6 })).chain(([nl, nr]) =>
    fc.record({
      layers: fc.tuple(
        ...Array.from({ length: nl }, (_, i) =>
          fc.record(
            { blob, parent: fc.integer({ min: -1, max: acyclic ? i - 1 : nl - 1 }), annotations },
            { requiredKeys: ['blob', 'parent'] },
          ),
        ),
      ),
      records: fc.tuple(
        ...Array.from({ length: nr }, (_, i) => {
          const first = acyclic ? i + 1 : 0;
          const links: fc.Arbitrary<Link[]> =
            first > nr - 1
              ? fc.constant([])
              : fc.array(
                  fc.record({
                    selector: fc.constantFrom('', 's'),
                    link: fc.integer({ min: first, max: nr - 1 }),
                  }),
                  { maxLength: 2 },
                );
          return fc.record({
            digest: blob,
            layers:
              nl === 0
                ? fc.constant([])
                : fc.array(fc.record({ layer: fc.nat({ max: nl - 1 }), createdAt: time }), { maxLength: 2 }),
            inputs: fc.array(links, { maxLength: 2 }),
          });
        }),
      ),
    }),
  );
/** Values that break a field: out of range or looping indices, wrong types, objects with hostile keys. */
const wrong = fc.oneof(
  fc.integer({ min: -3, max: 8 }),
  fc.constantFrom(1.5, '1', null, true, [], {}, 2 ** 60, 'sha256:short', 'not a time'),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'x'), fc.constantFrom(1, 'v', null), {
    maxKeys: 2,
  }),
);

/** Replaces the node at a random path of a JSON value. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const [k, child] = entries[head % entries.length] as [string, unknown];
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  Object.defineProperty(copy, k, {
    value: mutate(child, rest, replacement),
    enumerable: true,
    writable: true,
  });
  return copy;
}

const config = fc.oneof(
  graph(false),
  fc
    .tuple(graph(true), fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 7 }), wrong), { maxLength: 2 }))
    .map(([c, edits]) => edits.reduce<unknown>((v, [path, r]) => mutate(v, path, r), c)),
);

/** The promises of a parsed config, checked independently: indices in range, parents end, links acyclic (Kahn). */
function checkParsed(c: CacheConfig): void {
  const n = c.layers.length;
  for (const l of c.layers) {
    let p = l.parent;
    for (let steps = 0; p !== -1; steps++) {
      expect(steps).toBeLessThanOrEqual(n);
      expect(p >= 0 && p < n).toBe(true);
      p = (c.layers[p] as { parent: number }).parent;
    }
  }
  const indegree = new Array<number>(c.records.length).fill(0);
  for (const r of c.records) {
    for (const x of r.results) expect(x.layer >= 0 && x.layer < n).toBe(true);
    for (const ins of r.inputs) for (const x of ins) indegree[x.link] = (indegree[x.link] ?? 0) + 1;
  }
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  let seen = 0;
  while (ready.length > 0) {
    const i = ready.pop() as number;
    seen++;
    for (const ins of (c.records[i] as CacheConfig['records'][number]).inputs) {
      for (const x of ins) if (--(indegree[x.link] as number) === 0) ready.push(x.link);
    }
  }
  expect(seen).toBe(c.records.length);
}

describe('parseCacheConfig under random input', () => {
  it('random graphs of layers and records: a consistent config or BAD_CACHE_CONFIG', () => {
    fc.assert(
      fc.property(config, (raw) => {
        try {
          checkParsed(parseCacheConfig(JSON.stringify(raw)));
        } catch (e) {
          if (!isLadingError(e)) throw e;
          expect((e as { code?: string }).code).toBe('BAD_CACHE_CONFIG');
        }
      }),
      { numRuns },
    );
  });

  it('random bytes: typed errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        try {
          parseCacheConfig(bytes);
        } catch (e) {
          if (!isLadingError(e)) throw e;
        }
      }),
      { numRuns },
    );
  });
});
