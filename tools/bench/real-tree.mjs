// A tree of real files for the benchmarks: whole top-level entries of a few system directories, in a fixed order,
// until the target size is reached (~500 MiB and some 25k files on this machine kind, near the issues' ~23k:
// headers, Python sources, compiler binaries, then /usr/share's documents and locales; 64 MiB with --small).
// The layout version is part of the directory name, so fixtures derived from the tree are rebuilt when it changes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Each source fills at most its share of the target, so the tree keeps the same mix at either size.
const sources = [
  { path: '/usr/include', share: 0.25 },
  { path: '/usr/lib/python3.11', share: 0.1 },
  { path: '/usr/lib/gcc', share: 0.25 },
  { path: '/usr/lib/x86_64-linux-gnu', share: 0.1 },
  { path: '/usr/share', share: 1 },
  { path: '/usr/lib/jvm', share: 1 },
];

/** Changes whenever `sources` or the selection changes; names the tree and the fixtures made from it. */
export const realTreeVersion = 'v2';

function duBytes(path) {
  try {
    return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

export async function ensureRealTree(benchDir, { small = false } = {}) {
  const target = (small ? 64 : 500) * 1024 * 1024;
  const root = join(benchDir, `${small ? 'real-tree-small' : 'real-tree'}-${realTreeVersion}`);
  const marker = `${root}.json`;
  if (existsSync(marker)) {
    const info = JSON.parse(await readFile(marker, 'utf8'));
    if (info.target === target) return root;
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  let total = 0;
  const taken = [];
  outer: for (const { path: src, share } of sources) {
    if (!existsSync(src)) continue;
    let fromSource = 0;
    for (const name of readdirSync(src).sort()) {
      const from = join(src, name);
      const size = duBytes(from);
      if (size === 0 || size > target - total + 64 * 1024 * 1024) continue;
      if (fromSource + size > share * target) continue;
      fromSource += size;
      const to = join(root, src.replaceAll('/', '_').slice(1));
      await mkdir(to, { recursive: true });
      execFileSync('cp', ['-a', from, to]);
      total += size;
      taken.push(from);
      if (total >= target) break outer;
    }
  }
  const files = Number(
    execFileSync('sh', ['-c', `find '${root}' -type f | wc -l`], { encoding: 'utf8' }).trim(),
  );
  await writeFile(marker, JSON.stringify({ target, bytes: total, files, taken }, null, 2));
  process.stderr.write(`[bench] real tree: ${(total / 1048576).toFixed(0)} MiB, ${files} files at ${root}\n`);
  return root;
}
