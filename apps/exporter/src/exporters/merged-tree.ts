import { InvalidInputError } from '@lading/digest';
import type { TarEntryType, TarHeader } from '@lading/layer';

/**
 * The merged filesystem of an image's layers, computed from their tar headers alone (no file is unpacked): what a
 * snapshotter would hold after applying them in order, with the OCI image-spec's rules (a whiteout hides what lower
 * layers put at a path, an opaque whiteout what they put in a directory, a non-directory replaces a directory with
 * everything under it), parents walked through symbolic links as `@lading/layer`'s unpack walks them.
 * Each entry remembers where it came from (layer, entry number), so a second pass can stream the bodies.
 */

/** One entry of one layer, as read by the first pass. */
export interface LayerEntry {
  readonly layer: number;
  readonly ordinal: number;
  readonly name: string;
  readonly header: TarHeader;
}

/** A path's entry in the merged tree. `link` entries point at the file record they share content with. */
export interface MergedRecord {
  readonly layer: number;
  readonly ordinal: number;
  header: TarHeader;
  target?: MergedRecord;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  record?: MergedRecord;
}

const maxSymlinks = 40;
const whiteoutPrefix = '.wh.';
const opaqueWhiteout = '.wh..wh..opq';

function unsafe(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'UNSAFE_TAR_ENTRY',
    `refusing tar entry ${JSON.stringify(name)}: ${why}; the layer is not safe to export`,
  );
}

/** Path components of an entry name; absolute names and `..` are refused, as `@lading/layer`'s unpack refuses them. */
export function entryParts(name: string, what = 'its name'): string[] {
  if (name.startsWith('/')) throw unsafe(name, `${what} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, `${what} climbs out with '..'`);
  return parts;
}

const newNode = (): TreeNode => ({ children: new Map() });

export class MergedTree {
  readonly #root: TreeNode = newNode();

  /** Applies one layer's entries (all of them: whiteouts hide lower layers wherever they come in the layer). */
  apply(entries: readonly LayerEntry[]): void {
    for (const e of entries) {
      const parts = entryParts(e.name);
      const base = parts.at(-1);
      if (base === undefined || !base.startsWith(whiteoutPrefix)) continue;
      const dir = this.#resolve(parts.slice(0, -1), e.name, false);
      if (dir === undefined) continue;
      if (base === opaqueWhiteout) dir.node.children.clear();
      else {
        const victim = base.slice(whiteoutPrefix.length);
        if (victim === '' || victim === '.' || victim === '..') throw unsafe(e.name, 'a whiteout of . or ..');
        dir.node.children.delete(victim);
      }
    }
    for (const e of entries) {
      const parts = entryParts(e.name);
      const base = parts.at(-1);
      if (base === undefined || base.startsWith(whiteoutPrefix)) continue;
      const parent = this.#resolve(parts.slice(0, -1), e.name, true) as { node: TreeNode };
      const record: MergedRecord = { layer: e.layer, ordinal: e.ordinal, header: e.header };
      if (e.header.type === 'link') {
        const toParts = entryParts(e.header.linkname ?? '', 'its link target');
        const toDir = this.#resolve(toParts.slice(0, -1), e.name, false);
        const target = toDir?.node.children.get(toParts.at(-1) ?? '')?.record;
        if (target === undefined || target.header.type === 'directory') {
          throw unsafe(
            e.name,
            `its hard link target ${JSON.stringify(e.header.linkname)} is not a file of the image`,
          );
        }
        record.target = target.target ?? target;
      }
      const existing = parent.node.children.get(base);
      const existingType = existing?.record?.header.type;
      if (
        existing !== undefined &&
        e.header.type === 'directory' &&
        (existingType ?? 'directory') === 'directory'
      ) {
        // A directory over a directory merges: the upper one's metadata, the first entry's place in the stream.
        if (existing.record) existing.record.header = e.header;
        else existing.record = record;
        continue;
      }
      const node = newNode();
      node.record = record;
      parent.node.children.set(base, node);
    }
  }

  /**
   * Walks `parts` from the root: a symbolic link on the way is followed as it resolves inside the image (absolute
   * targets from the root), never above the root. With `create`, a missing or non-directory component becomes a
   * directory of no entry of its own (as the unpacker makes it).
   */
  #resolve(parts: readonly string[], name: string, create: boolean): { node: TreeNode } | undefined {
    const stack: TreeNode[] = [this.#root];
    const todo = [...parts].reverse();
    let links = 0;
    while (todo.length > 0) {
      const c = todo.pop() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (stack.length === 1) throw unsafe(name, 'a symbolic link on its path leads out of the image');
        stack.pop();
        continue;
      }
      const dir = stack.at(-1) as TreeNode;
      let node = dir.children.get(c);
      const type = node?.record?.header.type;
      if (node !== undefined && type === 'symlink') {
        if (++links > maxSymlinks) throw unsafe(name, `too many levels of symbolic links at ${c}`);
        const to = node.record?.header.linkname ?? '';
        if (to.startsWith('/')) stack.length = 1;
        for (const t of to.split('/').reverse()) todo.push(t);
        continue;
      }
      if (node === undefined || (type !== undefined && type !== 'directory')) {
        if (!create) return undefined;
        node = newNode();
        dir.children.set(c, node);
      }
      stack.push(node);
    }
    return { node: stack.at(-1) as TreeNode };
  }

  /** Every path of the merged tree, parents before children, with its record (none: a directory made on the way). */
  *paths(): Generator<{ readonly path: string; readonly record: MergedRecord | undefined }> {
    const walk = function* (
      node: TreeNode,
      prefix: string,
    ): Generator<{ path: string; record: MergedRecord | undefined }> {
      for (const [name, child] of node.children) {
        const path = prefix === '' ? name : `${prefix}/${name}`;
        yield { path, record: child.record };
        yield* walk(child, path);
      }
    };
    yield* walk(this.#root, '');
  }
}

/** What the second pass writes at one entry of one layer. */
export interface Emission {
  readonly path: string;
  readonly header: TarHeader;
  /** The entry's body follows (a file written under its primary name). */
  readonly body: boolean;
}

export interface EmissionPlan {
  /** By `layer:ordinal`: what to write when the stream reaches that entry. */
  readonly at: ReadonlyMap<string, Emission>;
  /** Every directory of the result, for parents written on demand and for those no entry placed. */
  readonly directories: ReadonlyMap<string, TarHeader | undefined>;
}

export const planKey = (layer: number, ordinal: number): string => `${layer}:${ordinal}`;

/**
 * Where each path of the merged tree is written: a directory at its first entry, a file at its own entry, under its
 * own path or (when an upper layer replaced that path but a hard link to it survives) under the first surviving
 * link's; links then point at that name.
 */
export function planEmissions(tree: MergedTree): EmissionPlan {
  const at = new Map<string, Emission>();
  const directories = new Map<string, TarHeader | undefined>();
  const namesOf = new Map<MergedRecord, { path: string; record: MergedRecord }[]>();
  for (const { path, record } of tree.paths()) {
    if (record === undefined || record.header.type === 'directory') {
      directories.set(path, record?.header);
      if (record) at.set(planKey(record.layer, record.ordinal), { path, header: record.header, body: false });
      continue;
    }
    const identity =
      record.header.type === 'link' ? record.target : record.header.type === 'file' ? record : undefined;
    if (identity === undefined) {
      at.set(planKey(record.layer, record.ordinal), { path, header: record.header, body: false });
      continue;
    }
    namesOf.set(identity, [...(namesOf.get(identity) ?? []), { path, record }]);
  }
  for (const [identity, names] of namesOf) {
    const order = (r: MergedRecord) => r.layer * 2 ** 32 + r.ordinal;
    names.sort((a, b) => order(a.record) - order(b.record));
    const primary = names.find((n) => n.record === identity) ?? (names[0] as (typeof names)[number]);
    const { linkname: _l, ...fileHeader } = identity.header;
    at.set(planKey(identity.layer, identity.ordinal), {
      path: primary.path,
      header: { ...fileHeader, type: 'file' },
      body: true,
    });
    for (const n of names) {
      if (n === primary) continue;
      at.set(planKey(n.record.layer, n.record.ordinal), {
        path: n.path,
        header: { ...n.record.header, type: 'link' as TarEntryType, size: 0, linkname: primary.path },
        body: false,
      });
    }
  }
  return { at, directories };
}
