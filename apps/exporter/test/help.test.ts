import { describe, expect, it } from 'vitest';
import { lading } from './helpers.js';

// issue 19 item 11: help that teaches. Which commands there are is read from `lading --help` itself, so a command
// added to the CLI without help, or help that names a flag the parser does not know, fails here.

/** The names under "Commands:" of the top-level help. */
function listedCommands(usage: string): string[] {
  const section = usage.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .map((l) => /^ {2}([a-z][a-z-]*)\s/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
}

/** The long flags a help text defines: the left column of its option lines, above "Examples:". */
function definedFlags(help: string): string[] {
  const body = help.split('\nExamples:\n')[0] ?? '';
  const flags = body
    .split('\n')
    .filter((l) => /^\s+(\S+, )?--/.test(l))
    .map((l) => l.trim().replace(/\s{2,}.*$/, ''))
    .flatMap((column) => [...column.matchAll(/--([a-z][a-z0-9.-]*[a-z0-9])/g)].map((m) => m[1] as string));
  return [...new Set(flags)];
}

const usage = (await lading(['--help'])).stdout;
const commands = listedCommands(usage);

describe('lading --help', () => {
  it('lists the commands', () => {
    expect(commands).toEqual(
      expect.arrayContaining(['export', 'inspect', 'push', 'copy', 'verify', 'key', 'ls', 'tag', 'rm', 'gc']),
    );
  });

  it.each(commands)('%s --help has a Usage line, Options and Examples of itself', async (c) => {
    const r = await lading([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: lading ${c}( |$)`));
    expect(r.stdout).toMatch(/\n(Options|Inputs):\n/);
    const examples = (r.stdout.split('\nExamples:\n')[1] ?? '').split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(examples.length).toBeGreaterThan(0);
    // each example runs this command (after environment assignments such as SOURCE_DATE_EPOCH=0)
    for (const e of examples.filter((l) => !l.trimStart().startsWith('#'))) {
      expect(e.trim()).toMatch(new RegExp(`^([A-Z_]+=\\S* )*lading ${c}( |$)`));
    }
    expect((await lading(['help', c])).stdout).toBe(r.stdout);
  });

  it.each(commands)(
    '%s: every flag its help defines is known to the parser (a typo is answered with it)',
    async (c) => {
      const flags = definedFlags((await lading([c, '--help'])).stdout);
      expect(flags.length).toBeGreaterThan(0);
      const results = await Promise.all(
        flags.map(async (f) => ({ f, r: await lading([c, `--${f}${f.at(-1)}`]) })),
      );
      for (const { f, r } of results) {
        expect(r.code, f).toBe(2);
        expect(r.stderr, f).toContain(`lading: unknown flag: --${f}${f.at(-1)} (did you mean --${f}?)`);
        expect(r.stderr, f).toContain(`See: lading ${c} --help`);
      }
    },
  );
});
