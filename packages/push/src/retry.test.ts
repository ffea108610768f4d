import { RegistryError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { createDedup } from './dedup.js';
import { NetworkError } from './http.js';
import { isRetryable, isRetryableStatus, withRetries, withRetryAfter } from './retry.js';

describe('withRetries', () => {
  it('retries retryable failures and returns the first success', async () => {
    let calls = 0;
    const v = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new NetworkError('ECONNRESET', 'reset');
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(v).toBe('ok');
    expect(calls).toBe(3);
  });
  it('does not retry what cannot succeed, and stops after the budget', async () => {
    let calls = 0;
    const denied = new RegistryError('DENIED', 'no', { status: 403, retryable: false });
    await expect(
      withRetries(
        async () => {
          calls++;
          throw denied;
        },
        { baseDelayMs: 1 },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new RegistryError('SERVER_ERROR', 'x', { status: 503, retryable: true });
        },
        { retries: 2, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
  });
  it('waits as long as Retry-After says', async () => {
    let calls = 0;
    const started = Date.now();
    await withRetries(
      async () => {
        calls++;
        if (calls === 1)
          throw withRetryAfter(
            new RegistryError('TOO_MANY_REQUESTS', 'slow down', { status: 429, retryable: true }),
            '1',
          );
        return 1;
      },
      { baseDelayMs: 1 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
  it('stops at once when aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(withRetries(async () => 1, { signal: ac.signal })).rejects.toThrow('stop');
  });
  it('classifies statuses like Docker', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 501].some(isRetryableStatus)).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
  it('retries resets and timeouts but never a certificate or TLS failure', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED']) {
      expect(isRetryable(new NetworkError(code, code))).toBe(true);
    }
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_HAS_EXPIRED',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      expect(isRetryable(new NetworkError(code, code))).toBe(false);
    }
  });
});

describe('createDedup', () => {
  it('shares one in-flight task per key', async () => {
    const dedup = createDedup<number>();
    let runs = 0;
    const task = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return 7;
    };
    expect(await Promise.all([dedup('a', task), dedup('a', task), dedup('b', task)])).toEqual([7, 7, 7]);
    expect(runs).toBe(2);
  });
});
