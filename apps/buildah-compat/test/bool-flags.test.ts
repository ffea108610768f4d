import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../src/cli/args.js';
import { newRoot, scratchWithSrc, useCliFixture } from './cli-fixture.js';
import { ladingBuildah, lb } from './helpers.js';

// buildah's bool flags are pflag's (spf13/pflag bool.go): `--flag`, or `--flag=V` with V read by strconv.ParseBool
// (Go's strconv/atob.go lists 1 t T TRUE true True, 0 f F FALSE false False; nothing else, not even "").
const goTrue = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const goFalse = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
const notBool = ['maybe', '', 'yes', 'tRUE', '2'];

useCliFixture();

describe('bool flags as pflag reads them', () => {
  const options = { quiet: { type: 'boolean', short: 'q' }, rm: { type: 'boolean' } } as const;

  it('--flag=V and -f=V take every value strconv.ParseBool takes', () => {
    for (const v of goTrue) {
      expect(parseCommandArgs([`--quiet=${v}`], options).values).toEqual({ quiet: true });
      expect(parseCommandArgs([`-q=${v}`], options).values).toEqual({ quiet: true });
    }
    for (const v of goFalse) expect(parseCommandArgs([`--rm=${v}`], options).values).toEqual({ rm: false });
  });

  it('the last of two wins, as in pflag', () => {
    expect(parseCommandArgs(['--quiet=false', '--quiet'], options).values).toEqual({ quiet: true });
    expect(parseCommandArgs(['-q', '--quiet=0'], options).values).toEqual({ quiet: false });
  });

  it('--flag=maybe is a usage error in pflag words', () => {
    for (const v of notBool) {
      expect(() => parseCommandArgs([`--rm=${v}`], options)).toThrow(
        expect.objectContaining({
          kind: 'option',
          code: 'BOOLEAN_INVALID',
          message: `invalid argument ${JSON.stringify(v)} for "--rm" flag: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
        }),
      );
    }
  });
});

describe('bool flags through lading-buildah', () => {
  it('images --noheading=V, --quiet=V, --json=V', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const id = await lb(root, ['commit', '-q', c, 'one']);
    const header = /^REPOSITORY\s+TAG\s+IMAGE ID/;
    expect(await lb(root, ['images', '--noheading=false'])).toMatch(header);
    expect(await lb(root, ['images', '--noheading=T'])).not.toMatch(header);
    expect(await lb(root, ['images', '--quiet=1'])).toBe(id.slice(0, 12));
    expect(await lb(root, ['images', '--quiet=0', '--noheading=true'])).toContain('localhost/one');
    expect(JSON.parse(await lb(root, ['images', '--json=True']))).toHaveLength(1);
    // commit --rm=false keeps the container; --rm (bare) removes it
    const c2 = await lb(root, ['from', 'one']);
    await lb(root, ['commit', '-q', '--rm=false', c2, 'two']);
    expect(await lb(root, ['containers', '--noheading=true', '--notruncate=true'])).toContain(c2);
    await lb(root, ['commit', '-q', '--rm', c2, 'three']);
    expect(await lb(root, ['containers', '--noheading=t'])).not.toContain(c2);
  });

  it('--quiet=maybe: pflag words, exit 2 (125 as buildah by default)', async () => {
    const root = newRoot();
    const detailed = await ladingBuildah(root, ['images', '--quiet=maybe']);
    expect(detailed.code).toBe(2);
    expect(detailed.stderr).toBe(
      'Error: invalid argument "maybe" for "--quiet" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n',
    );
    const plain = await ladingBuildah(root, ['images', '--tls-verify=maybe'], {
      env: { LADING_BUILDAH_EXIT_CODES: '' },
    });
    expect(plain.code).toBe(125);
  });

  it('--debug=V among the global options: false keeps the stack out even with LADING_DEBUG=1', async () => {
    const root = newRoot();
    const stack = /^ {4}at /m;
    const off = await ladingBuildah(root, ['--debug=false', 'inspect', 'nothing'], {
      env: { LADING_DEBUG: '1' },
    });
    expect(off.code).toBe(4);
    expect(off.stderr).not.toMatch(stack);
    const on = await ladingBuildah(root, ['--debug=t', 'inspect', 'nothing'], { env: { LADING_DEBUG: '' } });
    expect(on.code).toBe(4);
    expect(on.stderr).toMatch(stack);
    const bad = await ladingBuildah(root, ['--debug=maybe', 'images']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid argument "maybe" for "--debug" flag');
  });
});
