/**
 * An in-process reader-writer gate: the memory store's counterpart of `GcGuard`. Changes that give a blob a root
 * pass shared; GC passes alone, and once it waits no new change starts before it.
 */
export class RwGate {
  #readers = 0;
  #writing = false;
  #writersWaiting = 0;
  #waiters: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#writing || this.#writersWaiting > 0) await this.#wait();
    this.#readers++;
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#writersWaiting++;
    try {
      while (this.#writing || this.#readers > 0) await this.#wait();
    } finally {
      this.#writersWaiting--;
    }
    this.#writing = true;
    try {
      return await fn();
    } finally {
      this.#writing = false;
      this.#wake();
    }
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiting) resolve();
  }
}
