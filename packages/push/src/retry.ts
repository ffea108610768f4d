import { isRegistryError } from '@lading/digest';

export interface RetryOptions {
  /** Attempts after the first (default 5). */
  readonly retries?: number;
  /** First backoff in ms (default 200); doubles each attempt, with full jitter, capped by `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
}

const retryAfter = new WeakMap<object, number>();

/** Remembers a server's `Retry-After` (seconds or an HTTP date) on an error, for the next backoff. */
export function withRetryAfter<E extends object>(error: E, headerValue: string | undefined): E {
  if (headerValue === undefined) return error;
  const secs = Number(headerValue);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(headerValue) - Date.now();
  if (Number.isFinite(ms) && ms >= 0) retryAfter.set(error, ms);
  return error;
}

/**
 * 408, 429, 5xx, connection resets and timeouts: what may succeed when tried again. Never TLS failures, nor a host
 * that could not be reached at the first request (`NetworkError` carries the decision in `retryable`).
 */
export function isRetryable(error: unknown): boolean {
  return isRegistryError(error) && error.retryable;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Runs `fn` again on retryable errors, with exponential backoff and full jitter; honours Retry-After. */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 5;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !isRetryable(err) || options.signal?.aborted) throw err;
      const asked = typeof err === 'object' && err !== null ? retryAfter.get(err) : undefined;
      const backoff = Math.random() * Math.min(max, base * 2 ** attempt);
      await sleep(asked !== undefined ? Math.min(asked, 60_000) + backoff / 4 : backoff, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
