import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../src/cli/args.js';

// pflag (buildah's flag parser) gives a string flag the next argument whatever it starts with.
const options = {
  cmd: { type: 'string', short: 'c' },
  quiet: { type: 'boolean', short: 'q' },
  pull: { type: 'string' },
} as const;

describe('parseCommandArgs: string values that start with a dash', () => {
  it('--cmd --listen and -c -x take the next argument as the value', () => {
    expect(parseCommandArgs(['--cmd', '--listen :8080', 'ctr'], options)).toEqual({
      values: { cmd: '--listen :8080' },
      positionals: ['ctr'],
    });
    expect(parseCommandArgs(['-c', '-x', 'ctr'], options).values).toEqual({ cmd: '-x' });
  });

  it('a boolean flag and a flag whose value may be left out do not take the next argument', () => {
    expect(parseCommandArgs(['--quiet', '--cmd', 'x'], options).values).toEqual({ quiet: true, cmd: 'x' });
    expect(parseCommandArgs(['--pull', '--quiet', 'img'], options, { pull: 'missing' })).toEqual({
      values: { pull: 'missing', quiet: true },
      positionals: ['img'],
    });
  });
});
