import { parseArgs } from 'node:util';
import { isOptionError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { unknownFlagError } from './unknown-flag.js';

/** What node:util's parseArgs throws for `args` given the long flags `known`. */
function thrown(args: string[], known: string[]): unknown {
  const options = Object.fromEntries(known.map((k) => [k, { type: 'string' as const }]));
  try {
    parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    return e;
  }
  throw new Error(`parseArgs accepted ${args.join(' ')}`);
}

describe('unknownFlagError', () => {
  it('names the flag and suggests the closest known one when it is a typo', () => {
    const e = unknownFlagError(thrown(['--tga', 'x'], ['tag', 'output']), ['tag', 'output']);
    expect(isOptionError(e)).toBe(true);
    expect(e?.code).toBe('UNKNOWN_FLAG');
    expect(e?.message).toBe('unknown flag: --tga (did you mean --tag?)');
  });

  it('suggests nothing when no known flag is close', () => {
    const e = unknownFlagError(thrown(['--frobnicate'], ['tag', 'output']), ['tag', 'output']);
    expect(e?.message).toBe('unknown flag: --frobnicate');
  });

  it('allows a third of a long flag wrong, one letter of a two-letter flag', () => {
    const known = ['platform', 'rm'];
    expect(unknownFlagError(thrown(['--platfrm'], known), known)?.message).toBe(
      'unknown flag: --platfrm (did you mean --platform?)',
    );
    expect(unknownFlagError(thrown(['--rn'], known), known)?.message).toBe(
      'unknown flag: --rn (did you mean --rm?)',
    );
    expect(unknownFlagError(thrown(['--xy'], known), known)?.message).toBe('unknown flag: --xy');
  });

  it('leaves any other error alone', () => {
    expect(unknownFlagError(new Error('boom'), ['tag'])).toBeUndefined();
    expect(unknownFlagError(null, ['tag'])).toBeUndefined();
  });
});
