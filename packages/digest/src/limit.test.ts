import { describe, expect, it } from 'vitest';
import { createLimiter, mapLimit } from './limit.js';

/** A task that stays open until released, recording how many run at once. */
function gate() {
  let active = 0;
  let peak = 0;
  const started: string[] = [];
  const releases: (() => void)[] = [];
  const task = (name: string) => async () => {
    started.push(name);
    active++;
    peak = Math.max(peak, active);
    await new Promise<void>((r) => releases.push(r));
    active--;
    return name;
  };
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { task, started, releaseAll, peak: () => peak };
}

describe('createLimiter', () => {
  it('runs at most n tasks at once and starts the rest in arrival order', async () => {
    const limit = createLimiter(2);
    const g = gate();
    const all = Promise.all(['a', 'b', 'c', 'd'].map((n) => limit(g.task(n))));
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual(['a', 'b']);
    await g.releaseAll();
    expect(await all).toEqual(['a', 'b', 'c', 'd']);
    expect(g.started).toEqual(['a', 'b', 'c', 'd']);
    expect(g.peak()).toBe(2);
  });
  it('frees the slot of a failed task', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(async () => 7)).toBe(7);
  });
  it('refuses a concurrency that is not a whole number of at least one', () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });
});

describe('mapLimit', () => {
  it('keeps the order of the items with at most `limit` in flight', async () => {
    const g = gate();
    const result = mapLimit(['a', 'b', 'c'], 2, (n) => g.task(n)());
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual(['a', 'b']);
    await g.releaseAll();
    expect(await result).toEqual(['a', 'b', 'c']);
    expect(g.peak()).toBe(2);
  });
  it('starts nothing new after a failure and rejects with the first one', async () => {
    const started: number[] = [];
    const run = mapLimit([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error(`failed ${n}`);
      return n;
    });
    await expect(run).rejects.toThrow('failed 2');
    expect(started).toEqual([1, 2]);
  });
  it('gives an empty list for no items', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
