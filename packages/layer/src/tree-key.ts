import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { globSources } from './glob.js';
import { checkTreeRoot, typeOf, type WalkOptions, walkEntries } from './tree-entry.js';
import { type KeyWalker, type KeyWriter, makeKeyWalker } from './tree-key-walker.js';

const walkKeyVersion = 'lading-layer-cache-walk-v4';

/**
 * The key is split at the first depth that holds at least `minUnits` directories (or at `maxUnitDepth`): those
 * directories are the units, each keyed on its own (its digest goes into the key in its place), so that two threads
 * can walk them. The split depends only on the tree, never on how many threads walked it.
 */
const minUnits = 64;
const maxUnitDepth = 4;
/** Below this many units a second thread costs more (its start) than it saves. */
const minUnitsForWorker = 8;

export interface TreeKeyOptions {
  /** 1 walks on this thread alone; default: a second thread when the machine has one and the tree is large. */
  readonly threads?: 1 | 2;
  /** For tests: `worker` leaves every unit to the second thread, which this one then only waits for. */
  readonly share?: 'both' | 'worker';
  /** Told how the units were shared out (for tests and benchmarks). */
  readonly onUnits?: (units: { readonly total: number; readonly byWorker: number }) => void;
}

interface Node {
  readonly rel: string;
  readonly abs: string;
  readonly st: fs.Stats;
  children?: Node[];
}

/**
 * The cache key of a tree straight from the file system, without listing `TreeEntry`s first:
 * the entries `walkTree` lists (same order, include/exclude) with their path, mode, owner, size, mtime and ctime,
 * inode, device, link count, rdev and link target, plus the settings that change the bytes. Contents are never
 * read, so a content write is seen through mtime/ctime. This walk is all a warm rebuild costs.
 */
export function treeMetadataKey(
  root: string,
  walk: WalkOptions,
  settings: Readonly<Record<string, unknown>>,
  options: TreeKeyOptions = {},
): string {
  checkTreeRoot(root);
  const header = `${walkKeyVersion}\n${JSON.stringify(settings, Object.keys(settings).sort())}\n`;
  const walker = makeKeyWalker(fs, crypto, globSources(walk.exclude ?? []));
  if ((walk.include?.length ?? 0) > 0) return keyOfListedEntries(root, walk, walker, header);

  const { top, units } = listTop(root, walker);
  const key = walker.writer(header);
  const addTop = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      key.add(n.rel, n.abs, n.st);
      if (n.children) addTop(n.children);
    }
  };
  addTop(top);
  for (const digest of unitDigests(units, walker, walk, options)) key.raw(digest);
  return key.digest().toString('hex');
}

/** The entries down to the unit depth, breadth first (each directory's names in byte order), and the units. */
function listTop(root: string, walker: KeyWalker): { top: Node[]; units: Node[] } {
  const list = (rel: string, abs: string): Node[] => {
    const nodes: Node[] = [];
    for (const name of walker.sortNames(fs.readdirSync(abs))) {
      const r = rel ? `${rel}/${name}` : name;
      if (walker.excluded(r)) continue;
      const a = rel ? `${abs}/${name}` : join(abs, name);
      nodes.push({ rel: r, abs: a, st: fs.lstatSync(a) });
    }
    return nodes;
  };
  const top = list('', root);
  let level = top.filter(isDirectory);
  for (let depth = 1; level.length > 0 && level.length < minUnits && depth < maxUnitDepth; depth++) {
    const next: Node[] = [];
    for (const dir of level) {
      dir.children = list(dir.rel, dir.abs);
      for (const child of dir.children) if (isDirectory(child)) next.push(child);
    }
    level = next;
  }
  return { top, units: level };
}

function isDirectory(n: { readonly st: fs.Stats }): boolean {
  return (n.st.mode & 0o170000) === 0o040000;
}

/**
 * Each unit's digest, in order. With a second thread both claim units from one shared counter, so the faster one
 * takes more; a unit that failed in the worker is walked again here, where its error is thrown.
 */
function unitDigests(
  units: readonly Node[],
  walker: KeyWalker,
  walk: WalkOptions,
  options: TreeKeyOptions,
): Buffer[] {
  const threads = options.threads ?? (availableParallelism() > 1 ? 2 : 1);
  const workerOnly = options.share === 'worker';
  if (threads === 1 || (units.length < minUnitsForWorker && !workerOnly)) {
    options.onUnits?.({ total: units.length, byWorker: 0 });
    return units.map((u) => walker.walkUnit(u.rel, u.abs));
  }
  // control: [next claim (an index into `order`), units claimed and not yet stored]; then a status byte and 32
  // digest bytes per unit
  const shared = new SharedArrayBuffer(8 + units.length * 33);
  const control = new Int32Array(shared, 0, 2);
  const status = new Uint8Array(shared, 8, units.length);
  const digests = new Uint8Array(shared, 8 + units.length);
  // Largest first, so that no big unit is left to the end: a directory's link count is 2 + its subdirectories.
  const order = units
    .map((_, i) => i)
    .sort((a, b) => (units[b] as Node).st.nlink - (units[a] as Node).st.nlink);
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      shared,
      units: units.map((u) => [u.rel, u.abs]),
      order,
      exclude: globSources(walk.exclude ?? []),
    },
  });
  worker.on('error', () => {
    // Its units are walked again below; nothing else depends on it.
  });
  worker.unref();
  const out: Buffer[] = new Array(units.length);
  try {
    if (!workerOnly) {
      for (let k = Atomics.add(control, 0, 1); k < units.length; k = Atomics.add(control, 0, 1)) {
        const i = order[k] as number;
        const u = units[i] as Node;
        out[i] = walker.walkUnit(u.rel, u.abs);
      }
    }
    // Until every unit is claimed and every claimed one stored; the deadline only matters for a worker that never
    // started (`share: 'worker'`): its units are then walked below.
    const deadline = Date.now() + 30_000;
    while (
      (Atomics.load(control, 0) < units.length || Atomics.load(control, 1) !== 0) &&
      Date.now() < deadline
    ) {
      Atomics.wait(control, 1, Atomics.load(control, 1), 5);
    }
  } finally {
    // Claims after this point find the counter spent; terminate just stops the thread early.
    Atomics.store(control, 0, units.length);
    void worker.terminate();
  }
  let byWorker = 0;
  for (let i = 0; i < units.length; i++) {
    if (out[i] !== undefined) continue;
    const u = units[i] as Node;
    const walked = Atomics.load(status, i) === 1;
    if (walked) byWorker++;
    out[i] = walked ? Buffer.from(digests.subarray(i * 32, i * 32 + 32)) : walker.walkUnit(u.rel, u.abs);
  }
  options.onUnits?.({ total: units.length, byWorker });
  return out;
}

// CommonJS run with `eval`, so it works the same from dist/, from a bundle and from sources under a test runner.
const workerSource = `
const { workerData } = require('node:worker_threads');
const { shared, units, order, exclude } = workerData;
const walker = (${makeKeyWalker.toString()})(require('node:fs'), require('node:crypto'), exclude);
const control = new Int32Array(shared, 0, 2);
const status = new Uint8Array(shared, 8, units.length);
const digests = new Uint8Array(shared, 8 + units.length);
for (;;) {
  Atomics.add(control, 1, 1);
  const k = Atomics.add(control, 0, 1);
  if (k >= units.length) {
    Atomics.sub(control, 1, 1);
    Atomics.notify(control, 1);
    break;
  }
  const i = order[k];
  try {
    digests.set(walker.walkUnit(units[i][0], units[i][1]), i * 32);
    Atomics.store(status, i, 1);
  } catch {
    Atomics.store(status, i, 2);
  }
  Atomics.sub(control, 1, 1);
  Atomics.notify(control, 1);
}
`;

/**
 * With include patterns the general walk decides what is listed (a directory only when something under it is): the
 * same key, split the same way, computed from its list on this thread.
 */
function keyOfListedEntries(root: string, walk: WalkOptions, walker: KeyWalker, header: string): string {
  const statOf = (path: string, abs: string) => {
    const st = fs.lstatSync(abs);
    return { path, abs, st, type: typeOf(st.mode) };
  };
  const entries = [...walkEntries(root, walk, statOf)];
  const depthOf = (path: string) => {
    let d = 0;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) d++;
    return d;
  };
  // The unit depth as `listTop` finds it: depth 0 holds the root's own entries.
  const dirsAt = new Array<number>(maxUnitDepth).fill(0);
  for (const e of entries) {
    const d = depthOf(e.path);
    if (d < maxUnitDepth && isDirectory(e)) dirsAt[d] = (dirsAt[d] ?? 0) + 1;
  }
  let unitDepth = 0;
  while (
    (dirsAt[unitDepth] ?? 0) > 0 &&
    (dirsAt[unitDepth] ?? 0) < minUnits &&
    unitDepth < maxUnitDepth - 1
  ) {
    unitDepth++;
  }
  const key = walker.writer(header);
  const unitKeys: KeyWriter[] = [];
  let unit: KeyWriter | undefined;
  for (const e of entries) {
    const d = depthOf(e.path);
    if (d > unitDepth && unit !== undefined) {
      unit.add(e.path, e.abs, e.st);
      continue;
    }
    key.add(e.path, e.abs, e.st);
    unit = undefined;
    if (d === unitDepth && isDirectory(e)) {
      unit = walker.unitWriter();
      unitKeys.push(unit);
    }
  }
  for (const u of unitKeys) key.raw(u.digest());
  return key.digest().toString('hex');
}
