import { exitCodeFor, InvalidInputError, NotFoundError, RegistryError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { formatErrorReport } from './error-report.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });

describe('formatErrorReport', () => {
  it('prints a lading error as one line, with a line for each typed cause', () => {
    const e = new InvalidInputError('BAD_LAYER', 'layer 2 of app:1 is not a tar', { cause: refused() });
    expect(formatErrorReport(e, { prefix: 'lading: ' })).toBe(
      'lading: layer 2 of app:1 is not a tar\n  caused by: connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });

  it('prints a network error as its one line: the system error under it is what the line says', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: refused() });
    const e = new RegistryError('REGISTRY_UNREACHABLE', 'cannot connect to 127.0.0.1:1: connection refused', {
      cause: fetchFailed,
    });
    expect(formatErrorReport(e, { prefix: 'lading: ' })).toBe(
      'lading: cannot connect to 127.0.0.1:1: connection refused\n',
    );
    // a lading error under it is still said, and --debug shows everything
    const wrapped = new RegistryError('PUSH_FAILED', 'push failed', {
      cause: new InvalidInputError('BAD_MANIFEST', 'manifest is not JSON', { cause: refused() }),
    });
    expect(formatErrorReport(wrapped, { prefix: '' })).toBe(
      'push failed\n  caused by: manifest is not JSON\n',
    );
    expect(formatErrorReport(e, { prefix: '', debug: true })).toContain('caused by: connect ECONNREFUSED');
  });

  it('skips a cause the message already says', () => {
    const inner = new NotFoundError('X', 'blob sha256:1 not found');
    const e = new InvalidInputError('Y', 'copy failed: blob sha256:1 not found', { cause: inner });
    expect(formatErrorReport(e, { prefix: 'lading: ' })).toBe(
      'lading: copy failed: blob sha256:1 not found\n',
    );
  });

  it('says an unexpected error is one, in one line, with the way to see more; no stack', () => {
    const e = new RangeError('Maximum call stack size exceeded');
    const text = formatErrorReport(e, { prefix: 'Error: ' });
    expect(text).toBe(
      'Error: unexpected error: Maximum call stack size exceeded (rerun with --debug or LADING_DEBUG=1 for the details)\n',
    );
    expect(text).not.toMatch(/^ {4}at /m);
  });

  it('prints a network failure that no lading error wraps as what it is', () => {
    const e = new TypeError('fetch failed', { cause: refused() });
    expect(formatErrorReport(e, { prefix: 'lading: ' })).toBe(
      'lading: fetch failed\n  caused by: connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });

  it('gives the stacks of the error and its causes with debug', () => {
    const e = new InvalidInputError('X', 'bad', { cause: refused() });
    const text = formatErrorReport(e, { prefix: 'lading: ', debug: true });
    expect(
      text.startsWith('lading: bad\n  caused by: connect ECONNREFUSED 127.0.0.1:1\nInvalidInputError: bad\n'),
    ).toBe(true);
    expect(text.match(/^ {4}at /gm)?.length).toBeGreaterThan(2);
    expect(text).toContain('Error: connect ECONNREFUSED');
  });

  it('strips terminal controls from every message it prints', () => {
    const registry = new InvalidInputError('DENIED', 'denied: \x1b]0;pwned\x07\x1b[2Kok\nlading: pushed', {
      cause: Object.assign(new Error('\x1b[31mred\x1b[0m'), { code: 'E' }),
    });
    const text = formatErrorReport(registry, { prefix: 'lading: ' });
    expect(text).toBe('lading: denied: ok lading: pushed\n  caused by: red\n');
  });

  it('survives a cause loop and values that are not errors', () => {
    const a = new InvalidInputError('A', 'a');
    const b = new InvalidInputError('B', 'b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(formatErrorReport(a, { prefix: '' })).toBe('a\n  caused by: b\n');
    expect(formatErrorReport('just a string', { prefix: 'x: ' })).toMatch(
      /^x: unexpected error: just a string/,
    );
    expect(formatErrorReport(null, { prefix: 'x: ' })).toMatch(/^x: unexpected error: null/);
  });
});

describe('exitCodeFor, network failures', () => {
  it('is 5 for a refused connection however it is wrapped, 1 for other untyped errors', () => {
    expect(exitCodeFor(refused())).toBe(5);
    expect(exitCodeFor(new TypeError('fetch failed', { cause: refused() }))).toBe(5);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(5);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'EISDIR' }))).toBe(1);
    expect(exitCodeFor(new TypeError('x'))).toBe(1);
  });
});
