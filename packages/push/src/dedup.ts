/** Shares one in-flight promise per key: a second request for the same digest waits for the first. */
export function createDedup<T>(): (key: string, task: () => Promise<T>) => Promise<T> {
  const inflight = new Map<string, Promise<T>>();
  return (key, task) => {
    const existing = inflight.get(key);
    if (existing) return existing;
    const p = task().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };
}
