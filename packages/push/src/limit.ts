/** Runs at most `concurrency` tasks at once; the rest wait in order. */
export function createLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError('concurrency must be an integer >= 1');
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    active--;
    queue.shift()?.();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        active++;
        task().then(resolve, reject).finally(next);
      };
      if (active < concurrency) start();
      else queue.push(start);
    });
}

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
