import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladingBuildah } from './helpers.js';

// issue 19 item 11: help that teaches, and unknown flags answered as buildah (cobra) answers them, with the flag
// meant. The commands are read from `lading-buildah --help` itself, so a command added without help, or help that
// names a flag the parser does not know, fails here.

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
  return [...new Set(flags)].filter((f) => f !== 'help');
}

let tmp: TempDir;
let root: string;
beforeAll(async () => {
  tmp = await makeTempDir('lading-buildah-help-');
  root = join(tmp.path, 'root');
});
afterAll(async () => tmp.cleanup());
const detailed = { LADING_BUILDAH_EXIT_CODES: 'detailed', LADING_DEBUG: '' };
const buildahLike = { LADING_BUILDAH_EXIT_CODES: '', LADING_DEBUG: '' };

const usage = (await ladingBuildah('/nonexistent', ['--help'])).stdout;
const commands = listedCommands(usage);

describe('lading-buildah --help', () => {
  it('lists the commands', () => {
    expect(commands).toEqual(
      expect.arrayContaining(['from', 'copy', 'add', 'config', 'commit', 'push', 'inspect', 'images', 'rmi']),
    );
  });

  it.each(commands)('%s --help has a Usage line, Options and Examples of itself', async (c) => {
    const r = await ladingBuildah(root, [c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: lading-buildah ${c}( |$)`));
    expect(r.stdout).toContain('\nOptions:\n');
    const examples = (r.stdout.split('\nExamples:\n')[1] ?? '').split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples.filter((l) => !l.trimStart().startsWith('#'))) {
      // after environment assignments, `X=$(`, and global options (--root DIR, ...)
      expect(e.trim()).toMatch(
        new RegExp(`^([A-Z_]+=\\S* )*(\\S+=\\$\\()?lading-buildah( --[a-z-]+[= ]\\S+)* ${c}( |$)`),
      );
    }
    // after global options too, as buildah's help command
    expect((await ladingBuildah(root, ['help', c])).stdout).toBe(r.stdout);
  });
});

describe('lading-buildah unknown flags', () => {
  it.each(commands)(
    '%s: a typo of each flag its help defines is answered with that flag, exit 2',
    async (c) => {
      const flags = definedFlags((await ladingBuildah(root, [c, '--help'])).stdout);
      const results = await Promise.all(
        flags.map(async (f) => ({
          f,
          r: await ladingBuildah(root, [c, `--${f}${f.at(-1)}`], { env: detailed }),
        })),
      );
      for (const { f, r } of results) {
        expect(r.code, f).toBe(2);
        expect(r.stderr.trim(), f).toBe(`Error: unknown flag: --${f}${f.at(-1)} (did you mean --${f}?)`);
      }
    },
  );

  it.each(commands)('%s: by default an unknown flag exits 125, as buildah', async (c) => {
    const [first] = definedFlags((await ladingBuildah(root, [c, '--help'])).stdout);
    const flag = first ?? 'help';
    const typo = await ladingBuildah(root, [c, `--${flag}${flag.at(-1)}`], { env: buildahLike });
    expect(typo.code).toBe(125);
    expect(typo.stderr.trim()).toBe(`Error: unknown flag: --${flag}${flag.at(-1)} (did you mean --${flag}?)`);
    const far = await ladingBuildah(root, [c, '--zzzzzzzzzz'], { env: buildahLike });
    expect(far.code).toBe(125);
    expect(far.stderr.trim()).toBe('Error: unknown flag: --zzzzzzzzzz');
  });

  it('an unknown short flag is a usage error too', async () => {
    const short = await ladingBuildah(root, ['images', '-Z'], { env: detailed });
    expect(short.code).toBe(2);
    expect(short.stderr.trim()).toBe('Error: unknown flag: -Z');
  });
});
