import type { Ingester } from '@lading/content-store';
import type { Layer, LayerWriteOptions } from './layer.js';
import { type TarItem, type TarOptions, tarItemsFromEntries, writeTar } from './tar-from-tree.js';
import { readTreeEntries, type TreeEntry, type WalkOptions } from './tree-entry.js';
import { opaqueWhiteout, whiteoutPrefix } from './whiteouts.js';
import { writeLayer } from './write-layer.js';

export interface DiffOptions extends Omit<TarOptions, 'prefix' | 'onEntry'>, WalkOptions {}

function changed(a: TreeEntry, b: TreeEntry): boolean {
  return (
    a.type !== b.type ||
    a.mode !== b.mode ||
    a.uid !== b.uid ||
    a.gid !== b.gid ||
    a.size !== b.size ||
    a.mtimeNs !== b.mtimeNs ||
    a.rdev !== b.rdev ||
    a.linkTarget !== b.linkTarget
  );
}

const parentOf = (p: string) => {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
};

function marker(path: string): TreeEntry {
  return {
    path,
    abs: '',
    type: 'file',
    mode: 0o100000,
    uid: 0,
    gid: 0,
    size: 0,
    mtimeNs: 0n,
    ctimeNs: 0n,
    ino: 0n,
    dev: 0n,
    nlink: 1,
    rdev: 0n,
  };
}

/** Depth-first order by path components (a directory's children right after it), bytewise like the tree walk. */
function sortKey(path: string): Buffer {
  return Buffer.from(path.replaceAll('/', '\0'));
}

/**
 * The changes from `lower` to `upper` as a list of tree entries, like BuildKit's differ between two snapshots:
 * entries added or changed (type, mode, owner, size, mtime, device or link target), `.wh.<name>` for each removed
 * path (only the top-most of a removed subtree), and `.wh..wh..opq` right after a directory none of whose earlier
 * children survive (its whole new content follows, so one marker replaces a whiteout per child).
 */
export function diffTreeEntries(lower: string, upper: string, options: WalkOptions = {}): TreeEntry[] {
  const lowerEntries = readTreeEntries(lower, options);
  const upperEntries = readTreeEntries(upper, options);
  const lowerMap = new Map(lowerEntries.map((e) => [e.path, e]));
  const upperSet = new Set(upperEntries.map((e) => e.path));
  const upperDirs = new Set(upperEntries.filter((e) => e.type === 'directory').map((e) => e.path));
  const lowerChildren = new Map<string, string[]>();
  for (const e of lowerEntries) {
    const p = parentOf(e.path);
    const list = lowerChildren.get(p);
    if (list) list.push(e.path);
    else lowerChildren.set(p, [e.path]);
  }
  const opaque = new Set<string>();
  const out: { key: Buffer; entry: TreeEntry }[] = [];
  for (const e of upperEntries) {
    const l = lowerMap.get(e.path);
    let emit = l === undefined || changed(l, e) || opaque.has(parentOf(e.path));
    if (e.type === 'directory' && l?.type === 'directory') {
      const kids = lowerChildren.get(e.path) ?? [];
      if (kids.length > 0 && kids.every((k) => !upperSet.has(k))) {
        opaque.add(e.path);
        emit = true;
        const m = `${e.path}/${opaqueWhiteout}`;
        out.push({ key: Buffer.from(`${e.path.replaceAll('/', '\0')}\0`), entry: marker(m) });
      }
    }
    if (emit) out.push({ key: sortKey(e.path), entry: e });
  }
  for (const l of lowerEntries) {
    if (upperSet.has(l.path)) continue;
    const parent = parentOf(l.path);
    // The parent's whiteout covers it, or the parent became a file or link, which replaces the whole directory.
    if (parent !== '' && !upperDirs.has(parent)) continue;
    if (opaque.has(parent)) continue;
    const name = l.path.slice(parent ? parent.length + 1 : 0);
    const wh = parent ? `${parent}/${whiteoutPrefix}${name}` : `${whiteoutPrefix}${name}`;
    out.push({ key: sortKey(wh), entry: marker(wh) });
  }
  // Hardlinks: when one name of a multiply-linked file is in the diff, all its names must be, or the unpacked names
  // become separate files (containerd's change writer keeps the unchanged names for the same reason).
  const inode = (e: TreeEntry) => `${e.dev}:${e.ino}`;
  const linked = new Map<string, TreeEntry[]>();
  for (const e of upperEntries) {
    if (e.type !== 'file' || e.nlink < 2) continue;
    const group = linked.get(inode(e));
    if (group) group.push(e);
    else linked.set(inode(e), [e]);
  }
  if (linked.size > 0) {
    const inDiff = new Set(out.map((o) => o.entry.path));
    for (const o of [...out]) {
      if (o.entry.type !== 'file' || o.entry.nlink < 2) continue;
      for (const sibling of linked.get(inode(o.entry)) ?? []) {
        if (inDiff.has(sibling.path)) continue;
        inDiff.add(sibling.path);
        out.push({ key: sortKey(sibling.path), entry: sibling });
      }
    }
  }
  out.sort((a, b) => Buffer.compare(a.key, b.key));
  return out.map((o) => o.entry);
}

/** Tar items of the diff (see `diffTreeEntries`); whiteouts are empty files with mode 0 and time 0. */
export function diffTarItems(lower: string, upper: string, options: DiffOptions = {}): TarItem[] {
  return [...tarItemsFromEntries(diffTreeEntries(lower, upper, options), upper, options)];
}

/** A layer holding the changes from `lower` to `upper`, written in one pass like `buildLayer`. */
export async function buildDiffLayer(
  lower: string,
  upper: string,
  store: Ingester,
  options: DiffOptions & LayerWriteOptions = {},
): Promise<Layer> {
  const items = diffTarItems(lower, upper, options);
  return writeLayer(writeTar(items, options.signal ? { signal: options.signal } : {}), store, options);
}
