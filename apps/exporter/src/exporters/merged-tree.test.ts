import type { TarHeader } from '@lading/layer';
import { describe, expect, it } from 'vitest';
import { type LayerEntry, MergedTree, planEmissions, planKey } from './merged-tree.js';

const file = (name: string, extra: Partial<TarHeader> = {}): TarHeader => ({
  name,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 1,
  mtime: 0,
  ...extra,
});
const layer = (n: number, headers: TarHeader[]): LayerEntry[] =>
  headers.map((header, ordinal) => ({ layer: n, ordinal, name: header.name, header }));
const paths = (t: MergedTree) => [...t.paths()].map((p) => p.path);

describe('the merged tree of layer headers', () => {
  it('whiteouts hide lower layers only; an opaque directory drops what was below; a file replaces a directory', () => {
    const t = new MergedTree();
    t.apply(layer(0, [file('a/x'), file('a/y'), file('b/z'), file('c/old'), file('gone')]));
    t.apply(
      layer(1, [
        file('a/new'),
        file('.wh.gone'),
        file('a/.wh.x'),
        file('c/.wh..wh..opq'),
        file('c/kept'),
        file('b'),
      ]),
    );
    expect(paths(t).sort()).toEqual(['a', 'a/new', 'a/y', 'b', 'c', 'c/kept']);
  });

  it('follows a symlinked parent as the unpacker does, and never out of the image', () => {
    const t = new MergedTree();
    t.apply(layer(0, [file('usr/bin/sh'), file('bin', { type: 'symlink', linkname: 'usr/bin', size: 0 })]));
    t.apply(layer(1, [file('bin/ls')]));
    expect(paths(t)).toContain('usr/bin/ls');
    const out = new MergedTree();
    out.apply(layer(0, [file('up', { type: 'symlink', linkname: '../..', size: 0 })]));
    expect(() => out.apply(layer(1, [file('up/x')]))).toThrow(/leads out of the image/);
  });

  it('a hard link whose target an upper layer replaced keeps the old content under the link name', () => {
    const t = new MergedTree();
    t.apply(layer(0, [file('orig', { size: 5 }), file('link', { type: 'link', linkname: 'orig', size: 0 })]));
    t.apply(layer(1, [file('orig', { size: 9 })]));
    const plan = planEmissions(t);
    expect(plan.at.get(planKey(0, 0))).toMatchObject({
      path: 'link',
      body: true,
      header: { type: 'file', size: 5 },
    });
    expect(plan.at.get(planKey(0, 1))).toBeUndefined();
    expect(plan.at.get(planKey(1, 0))).toMatchObject({ path: 'orig', body: true, header: { size: 9 } });
  });
});
