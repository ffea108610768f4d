// Hostile layers: each tries to create, change or remove something outside the target. Whatever happens, a sentinel
// directory next to the target (and everything else in the temp dir) must be byte-for-byte and metadata-for-metadata
// unchanged. What lading does, case by case, follows containerd (archive/tar.go: fs.RootPath) and umoci
// (tar_extract.go: SecureJoin), which both resolve paths inside the root, except where the issue asks for a refusal:
//  - names and hardlink targets that are absolute or contain `..`: refused (containerd and umoci clean them into the
//    root; no real image needs them);
//  - a symlinked parent whose resolution climbs above the root: refused (both peers clamp it at the root);
//  - an absolute symlink target: resolved from the root, as both peers do (`var/run -> /run` in real images);
//  - symlink loops (more than 40 links): refused (both peers fail with ELOOP);
//  - device nodes when rootless: refused (umoci --rootless skips them; containerd fails in mknod).
// The refusal is always an InvalidInputError with code UNSAFE_TAR_ENTRY whose message names the entry.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '@lading/digest';
import { type RawTarEntry, rawTar } from '@lading/testkit/layer-fixtures';
import { describe, expect, it } from 'vitest';
import { applyLayer } from '../src/index.js';
import { bytes, type Sandbox, outsideState as stateOutside, useSandbox } from './hostile-sandbox.js';

let box: Sandbox;
let target: string;
let outside: string;
useSandbox((b) => {
  box = b;
  ({ target, outside } = b);
});
const outsideState = () => stateOutside(box);

interface Case {
  readonly name: string;
  /** A layer applied first (and expected to unpack). */
  readonly lower?: () => RawTarEntry[];
  readonly entries: () => RawTarEntry[];
  /** The entry the refusal must name; absent when the layer unpacks (safely, inside the target). */
  readonly refuses?: string | (() => string);
  /** A phrase of the refusal's reason. */
  readonly because?: RegExp;
  /** Checks of the target after a successful unpack. */
  readonly inside?: () => void;
}

const cases: Case[] = [
  {
    name: 'dot-dot traversal',
    entries: () => [{ name: '../outside/evil', content: 'x' }],
    refuses: '../outside/evil',
  },
  {
    name: 'nested dot-dot traversal',
    entries: () => [{ name: 'a/../../outside/evil', content: 'x' }],
    refuses: 'a/../../outside/evil',
  },
  {
    name: 'traversal in a long PAX name',
    entries: () => [{ name: `${'a/'.repeat(60)}${'../'.repeat(61)}outside/evil`, content: 'x', pax: true }],
    refuses: `${'a/'.repeat(60)}${'../'.repeat(61)}outside/evil`,
  },
  {
    name: 'absolute name',
    entries: () => [{ name: `${outside}/evil`, content: 'x' }],
    refuses: () => `${outside}/evil`,
    because: /absolute/,
  },
  {
    // umoci writes the root as "/": the root's entry, not an absolute path; a file named "/" cannot replace it.
    name: 'the root named / (as umoci writes it) gives the root its mode; a non-directory / is ignored',
    entries: () => [
      { name: '/', type: '5', mode: 0o750 },
      { name: '//', content: 'not the root' },
      { name: 'a', content: 'x' },
    ],
    inside: () => {
      expect(lstatSync(target).mode & 0o7777).toBe(0o750);
      expect(readFileSync(join(target, 'a'), 'utf8')).toBe('x');
    },
  },
  {
    name: 'relative symlink out, then a file through it',
    entries: () => [
      { name: 'link', type: '2', linkname: '../outside' },
      { name: 'link/evil', content: 'x' },
    ],
    refuses: 'link/evil',
    because: /leads out of the target/,
  },
  {
    name: 'symlink out, then a file through it in a later directory',
    entries: () => [
      { name: 'a/', type: '5' },
      { name: 'a/link', type: '2', linkname: '../../outside/sub' },
      { name: 'a/link/deeper', content: 'overwritten' },
    ],
    refuses: 'a/link/deeper',
  },
  {
    name: 'absolute symlink to / then a file through it (resolved inside the target)',
    entries: () => [
      { name: 'abs', type: '2', linkname: '/' },
      { name: 'abs/etc/from-abs', content: 'x' },
    ],
    inside: () => {
      expect(readFileSync(join(target, 'etc/from-abs'), 'utf8')).toBe('x');
      expect(readlinkSync(join(target, 'abs'))).toBe('/');
    },
  },
  {
    name: "absolute symlink to the sentinel's host path (resolved inside the target)",
    entries: () => [
      { name: 'abs', type: '2', linkname: outside },
      { name: 'abs/sentinel', content: 'overwritten' },
    ],
    inside: () => {
      expect(readFileSync(join(target, outside, 'sentinel'), 'utf8')).toBe('overwritten');
    },
  },
  {
    name: 'absolute symlink that climbs above / with ..',
    entries: () => [
      { name: 'abs', type: '2', linkname: '/../outside' },
      { name: 'abs/evil', content: 'x' },
    ],
    refuses: 'abs/evil',
  },
  {
    name: 'symlink chain that escapes on its second link',
    entries: () => [
      { name: 'd/', type: '5' },
      { name: 'd/one', type: '2', linkname: '../two' },
      { name: 'two', type: '2', linkname: 'd/../..' },
      { name: 'd/one/outside/evil', content: 'x' },
    ],
    refuses: 'd/one/outside/evil',
  },
  {
    name: 'symlink chain that stays inside',
    entries: () => [
      { name: 'real/', type: '5' },
      { name: 'a', type: '2', linkname: 'b' },
      { name: 'b', type: '2', linkname: 'c/../real/' },
      { name: 'c/', type: '5' },
      { name: 'a/file', content: 'through two links' },
    ],
    inside: () => {
      expect(readFileSync(join(target, 'real/file'), 'utf8')).toBe('through two links');
      expect(lstatSync(join(target, 'a')).isSymbolicLink()).toBe(true);
    },
  },
  {
    name: 'symlink to a directory that is then replaced by a link out',
    entries: () => [
      { name: 'sub/', type: '5' },
      { name: 'alias', type: '2', linkname: 'sub' },
      { name: 'sub', type: '2', linkname: '../outside' },
      { name: 'alias/evil', content: 'x' },
    ],
    refuses: 'alias/evil',
  },
  {
    name: 'self-referencing symlink',
    entries: () => [
      { name: 'loop', type: '2', linkname: 'loop' },
      { name: 'loop/x', content: 'x' },
    ],
    refuses: 'loop/x',
    because: /too many levels of symbolic links/,
  },
  {
    name: 'two symlinks pointing at each other',
    entries: () => [
      { name: 'a', type: '2', linkname: 'b' },
      { name: 'b', type: '2', linkname: './a' },
      { name: 'a/x', content: 'x' },
    ],
    refuses: 'a/x',
    because: /too many levels of symbolic links/,
  },
  {
    name: 'a symlink that expands into itself many times',
    entries: () => [
      { name: 'x', type: '2', linkname: Array(40).fill('x').join('/') },
      { name: 'x/y', content: 'y' },
    ],
    refuses: 'x/y',
    because: /too many levels of symbolic links/,
  },
  {
    name: 'chain of 41 symlinks',
    entries: () => [
      { name: 'end/', type: '5' },
      ...Array.from({ length: 41 }, (_, i) => ({
        name: `l${i}`,
        type: '2' as const,
        linkname: i === 40 ? 'end' : `l${i + 1}`,
      })),
      { name: 'l0/x', content: 'x' },
    ],
    refuses: 'l0/x',
    because: /too many levels of symbolic links/,
  },
  {
    name: 'chain of 40 symlinks (the most Linux follows)',
    entries: () => [
      { name: 'end/', type: '5' },
      ...Array.from({ length: 40 }, (_, i) => ({
        name: `l${i}`,
        type: '2' as const,
        linkname: i === 39 ? 'end' : `l${i + 1}`,
      })),
      { name: 'l0/x', content: 'x' },
    ],
    inside: () => expect(readFileSync(join(target, 'end/x'), 'utf8')).toBe('x'),
  },
  {
    name: 'hardlink to ../',
    entries: () => [{ name: 'hard', type: '1', linkname: '../outside/sentinel' }],
    refuses: 'hard',
    because: /hardlink target/,
  },
  {
    name: 'hardlink to an absolute path',
    entries: () => [{ name: 'hard', type: '1', linkname: `${outside}/sentinel` }],
    refuses: 'hard',
    because: /absolute/,
  },
  {
    name: 'hardlink through a symlink out',
    entries: () => [
      { name: 'link', type: '2', linkname: '../outside' },
      { name: 'hard', type: '1', linkname: 'link/sentinel' },
    ],
    refuses: 'hard',
  },
  {
    name: 'hardlink through an absolute symlink (resolved inside the target)',
    entries: () => [
      { name: 'f', content: 'mine' },
      { name: 'abs', type: '2', linkname: '/' },
      { name: 'hard', type: '1', linkname: 'abs/f' },
    ],
    inside: () => expect(statSync(join(target, 'hard')).ino).toBe(statSync(join(target, 'f')).ino),
  },
  {
    name: 'hardlink to a symlink that points out, then a file written to the hardlink',
    entries: () => [
      { name: 'sl', type: '2', linkname: '../outside/sentinel' },
      { name: 'hard', type: '1', linkname: 'sl' },
      { name: 'hard', content: 'overwritten' },
    ],
    inside: () => {
      expect(readFileSync(join(target, 'hard'), 'utf8')).toBe('overwritten');
      expect(readlinkSync(join(target, 'sl'))).toBe('../outside/sentinel');
    },
  },
  {
    name: 'hardlink to a missing file',
    entries: () => [{ name: 'hard', type: '1', linkname: 'nothing-here' }],
    refuses: 'hard',
    because: /not in the layer chain/,
  },
  {
    name: 'hardlink to a directory',
    entries: () => [
      { name: 'd/', type: '5' },
      { name: 'hard', type: '1', linkname: 'd' },
    ],
    refuses: 'hard',
    because: /is a directory/,
  },
  {
    name: 'file over a symlink that points out',
    entries: () => [
      { name: 'x', type: '2', linkname: '../outside/sentinel' },
      { name: 'x', content: 'overwritten' },
    ],
    inside: () => {
      expect(lstatSync(join(target, 'x')).isFile()).toBe(true);
      expect(readFileSync(join(target, 'x'), 'utf8')).toBe('overwritten');
    },
  },
  {
    name: 'directory over a symlink that points out',
    entries: () => [
      { name: 'd', type: '2', linkname: '../outside' },
      { name: 'd/', type: '5', mode: 0o777, mtime: 1_234_567_890 },
      { name: 'd/sentinel', content: 'overwritten' },
    ],
    inside: () => {
      expect(lstatSync(join(target, 'd')).isDirectory()).toBe(true);
      expect(readFileSync(join(target, 'd/sentinel'), 'utf8')).toBe('overwritten');
    },
  },
  {
    // A directory's mode and time are applied at the end; by then the path is a link out.
    name: 'directory replaced by a symlink out before its metadata is applied',
    entries: () => [
      { name: 'd/', type: '5', mode: 0o777, mtime: 1_234_567_890 },
      { name: 'd', type: '2', linkname: '../outside' },
    ],
    inside: () => expect(readlinkSync(join(target, 'd'))).toBe('../outside'),
  },
  {
    name: 'parent of a directory replaced by a symlink out before its metadata is applied',
    entries: () => [
      { name: 'a/', type: '5' },
      { name: 'a/sub/', type: '5', mode: 0o777, mtime: 1_234_567_890 },
      { name: 'a', type: '2', linkname: '../outside' },
    ],
    inside: () => expect(readlinkSync(join(target, 'a'))).toBe('../outside'),
  },
  { name: 'whiteout of ..', entries: () => [{ name: 'a/.wh...' }], refuses: 'a/.wh...', because: /whiteout/ },
  { name: 'whiteout of .. at the root', entries: () => [{ name: '.wh...' }], refuses: '.wh...' },
  { name: 'whiteout of .', entries: () => [{ name: 'sub/.wh..' }], refuses: 'sub/.wh..' },
  { name: 'empty whiteout name', entries: () => [{ name: '.wh.' }], refuses: '.wh.' },
  {
    name: 'whiteout whose name climbs out',
    entries: () => [{ name: '../outside/.wh.sentinel' }],
    refuses: '../outside/.wh.sentinel',
  },
  {
    name: 'whiteout through a symlink out',
    entries: () => [{ name: 'link', type: '2', linkname: '../outside' }, { name: 'link/.wh.sentinel' }],
    refuses: 'link/.wh.sentinel',
  },
  {
    name: 'opaque whiteout through a symlink out',
    entries: () => [{ name: 'link', type: '2', linkname: '../outside' }, { name: 'link/.wh..wh..opq' }],
    refuses: 'link/.wh..wh..opq',
  },
  {
    name: 'whiteout through an absolute symlink (resolved inside the target)',
    entries: () => [
      { name: 'abs', type: '2', linkname: outside },
      { name: 'abs/.wh.sentinel' },
      { name: 'abs/.wh..wh..opq' },
    ],
    inside: () => expect(readlinkSync(join(target, 'abs'))).toBe(outside),
  },
  {
    name: 'whiteout of a symlink that points out removes the link only',
    lower: () => [{ name: 'link', type: '2', linkname: '../outside' }],
    entries: () => [{ name: '.wh.link' }],
    inside: () => expect(() => lstatSync(join(target, 'link'))).toThrow(/ENOENT/),
  },
  {
    name: 'root entry of another type is ignored',
    entries: () => [
      { name: './', type: '2', linkname: '../outside' },
      { name: 'f', content: 'x' },
    ],
    inside: () => {
      expect(lstatSync(target).isDirectory()).toBe(true);
      expect(readFileSync(join(target, 'f'), 'utf8')).toBe('x');
    },
  },
];

describe('hostile tars write nothing outside the target', () => {
  for (const c of cases) {
    it(c.refuses ? `refuses: ${c.name}` : `unpacks inside: ${c.name}`, async () => {
      if (c.lower) await applyLayer(target, { source: bytes(rawTar(c.lower())) });
      const before = outsideState();
      const outcome = await applyLayer(target, { source: bytes(rawTar(c.entries())) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(outsideState()).toEqual(before);
      if (c.refuses !== undefined) {
        expect(outcome).toBeInstanceOf(InvalidInputError);
        const error = outcome as InvalidInputError;
        expect(error.code).toBe('UNSAFE_TAR_ENTRY');
        const entry = typeof c.refuses === 'function' ? c.refuses() : c.refuses;
        expect(error.message).toContain(JSON.stringify(entry));
        if (c.because) expect(error.message).toMatch(c.because);
      } else {
        expect(outcome).toBeUndefined();
        c.inside?.();
      }
    });
  }
});
