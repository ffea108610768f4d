// A tree of real files for the benchmarks: whole top-level entries of a few system directories, in a fixed order,
// until the target size is reached (~500 MiB and some 20k files on this machine kind; 64 MiB with --small).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const sources = [
  '/usr/share',
  '/usr/lib/python3.11',
  '/usr/lib/gcc',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/jvm',
];

function duBytes(path) {
  try {
    return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

export async function ensureRealTree(benchDir, { small = false } = {}) {
  const target = (small ? 64 : 500) * 1024 * 1024;
  const root = join(benchDir, small ? 'real-tree-small' : 'real-tree');
  const marker = `${root}.json`;
  if (existsSync(marker)) {
    const info = JSON.parse(await readFile(marker, 'utf8'));
    if (info.target === target) return root;
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  let total = 0;
  const taken = [];
  outer: for (const src of sources) {
    if (!existsSync(src)) continue;
    for (const name of readdirSync(src).sort()) {
      const from = join(src, name);
      const size = duBytes(from);
      if (size === 0 || size > target - total + 64 * 1024 * 1024) continue;
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
