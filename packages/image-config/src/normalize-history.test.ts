import type { Digest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { normalizeLayersAndHistory } from './normalize-history.js';

// Digests written out by hand; their content does not matter to history normalisation.
const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}` as Digest;
const T1 = '2021-01-01T00:00:00Z';
const T2 = '2022-02-02T00:00:00Z';
const T3 = '2023-03-03T00:00:00Z';
const C = 'buildkit.exporter.image.v0';

describe('normalizeLayersAndHistory (each branch of moby mobyexporter/writer.go, expected values by hand)', () => {
  it('no layers, no history: nothing changes, history stays absent', () => {
    expect(normalizeLayersAndHistory([], undefined)).toEqual({
      diffIds: [],
      history: undefined,
      warnings: [],
    });
  });

  it('history matches layers: entries kept, times untouched', () => {
    const h = [
      { created: T1, created_by: 'a' },
      { created: T2, created_by: 'b' },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2)], h);
    expect(r.history).toEqual(h);
    expect(r.warnings).toEqual([]);
  });

  it('too many non-empty entries: the extras from the bottom are marked empty, with a warning', () => {
    const h = [
      { created: T1, created_by: 'a' },
      { created: T1, created_by: 'meta', empty_layer: true },
      { created: T2, created_by: 'b' },
      { created: T3, created_by: 'c' },
    ];
    const r = normalizeLayersAndHistory([d(1)], h);
    expect(r.history).toEqual([
      { created: T1, created_by: 'a' },
      { created: T1, created_by: 'meta', empty_layer: true },
      { created: T2, created_by: 'b', empty_layer: true },
      { created: T3, created_by: 'c', empty_layer: true },
    ]);
    expect(r.warnings).toEqual(['invalid image config with unaccounted layers']);
  });

  it('too few entries without a layer chain: blank entries with the exporter comment are appended', () => {
    const r = normalizeLayersAndHistory([d(1), d(2)], [{ created: T1, created_by: 'a' }]);
    // getRefMetadata without a ref gives blank metadata: no time, empty description -> created taken from the
    // previous entry by the last loop.
    expect(r.history).toEqual([
      { created: T1, created_by: 'a' },
      { created: T1, comment: C },
    ]);
  });

  it('too few entries with layer metadata: times and descriptions come from the last layers of the chain', () => {
    const meta = [
      { createdAt: T1, description: 'base' },
      { createdAt: T2, description: 'RUN make' },
      { createdAt: T3 },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2), d(3)], [{ created: T1, created_by: 'base' }], meta);
    expect(r.history).toEqual([
      { created: T1, created_by: 'base' },
      { created: T2, created_by: 'RUN make', comment: C },
      { created: T3, created_by: 'created by buildkit', comment: C },
    ]);
  });

  it('the layer chain is trimmed to the number of layers (the last ones)', () => {
    const meta = [
      { createdAt: T1, description: 'old' },
      { createdAt: T3, description: 'new' },
    ];
    const r = normalizeLayersAndHistory([d(1)], [], meta);
    expect(r.history).toEqual([{ created: T3, created_by: 'new', comment: C }]);
  });

  it('a layer entry without created takes its layer time; empty entries do not consume layers', () => {
    const meta = [{ createdAt: T1 }, { createdAt: T2 }];
    const h = [
      { created_by: 'a' },
      { created_by: 'env', empty_layer: true, created: T3 },
      { created_by: 'b' },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2)], h, meta);
    expect(r.history).toEqual([
      { created_by: 'a', created: T1 },
      { created_by: 'env', empty_layer: true, created: T3 },
      { created_by: 'b', created: T2 },
    ]);
  });

  it('missing times are filled with the first time after a gap (the first new layer), not a base layer time', () => {
    // base entries have times, then a metadata entry without, then a new layer with T3.
    const h = [
      { created: T1, created_by: 'base' },
      { created_by: 'ENV x', empty_layer: true },
      { created: T3, created_by: 'RUN y' },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2)], h);
    expect(r.history).toEqual([
      { created: T1, created_by: 'base' },
      { created_by: 'ENV x', empty_layer: true, created: T3 },
      { created: T3, created_by: 'RUN y' },
    ]);
  });

  it('with no time after the gap, the last known time is used; after a gap the previous time carries on', () => {
    const h = [
      { created: T1, created_by: 'a' },
      { created: T2, created_by: 'b' },
      { created_by: 'c', empty_layer: true },
      { created_by: 'd', empty_layer: true },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2)], h);
    expect(r.history?.map((x) => x.created)).toEqual([T1, T2, T2, T2]);
  });

  it('a leading entry without time takes the first time found; later gaps take the time before them', () => {
    const h = [
      { created_by: 'x', empty_layer: true },
      { created: T1, created_by: 'a' },
      { created_by: 'y', empty_layer: true },
      { created: T3, created_by: 'b' },
      { created_by: 'z', empty_layer: true },
    ];
    const r = normalizeLayersAndHistory([d(1), d(2)], h);
    expect(r.history?.map((x) => x.created)).toEqual([T1, T1, T1, T3, T3]);
  });

  it('refuses layer metadata shorter than the layers it must describe', () => {
    expect(() => normalizeLayersAndHistory([d(1), d(2)], [], [{ createdAt: T1 }])).toThrow(/layer metadata/);
  });
});
