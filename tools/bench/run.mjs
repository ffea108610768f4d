#!/usr/bin/env node
// The benchmark harness. Each suite in ./suites compares lading with its peers on the same input, in this one run:
// whole-process wall time and peak RSS (GNU time), several runs each, interleaved, medians and ratios.
// Usage: pnpm bench [-- --only layer,push] [--runs 5] [--small] [--out bench-results/latest.json]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureRealTree } from './real-tree.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

// `pnpm bench -- --only layer` hands the `--` on to the script: drop it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    only: { type: 'string' },
    runs: { type: 'string' },
    small: { type: 'boolean', default: process.env.LADING_BENCH_SMALL === '1' },
    out: { type: 'string', default: join(repoRoot, 'bench-results', 'latest.json') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(`pnpm bench [-- options]
  --only a,b     run only these suites (file names in tools/bench/suites without .mjs)
  --runs N       timed runs per command (default 5, or what a case asks)
  --small        a 64 MiB tree and small fixtures, for a quick check (also LADING_BENCH_SMALL=1)
  --out FILE     where to write the JSON results (default bench-results/latest.json)
Environment: LADING_BENCH_DIR (fixtures and scratch, default /tmp/lading-bench).`);
  process.exit(0);
}

const benchDir = resolve(process.env.LADING_BENCH_DIR ?? '/tmp/lading-bench');
const timeBin = '/usr/bin/time';
const results = [];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function normaliseCmd(cmd) {
  return Array.isArray(cmd) ? { argv: cmd } : cmd;
}

/** Runs one command under GNU time; returns wall seconds (measured here) and peak RSS in MiB. */
async function timeOnce(cmd) {
  const c = normaliseCmd(cmd);
  if (c.prepare) await c.prepare();
  // Untimed: write back what earlier runs (and the prepare) left dirty, so no run pays for another's writes.
  await new Promise((done) => spawn('sync', [], { stdio: 'ignore' }).on('close', done).on('error', done));
  const statsFile = join(benchDir, `.time-${process.pid}`);
  const argv = existsSync(timeBin) ? [timeBin, '-f', '%M', '-o', statsFile, ...c.argv] : c.argv;
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise((resolveRun, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: c.cwd ?? repoRoot,
      env: { ...process.env, ...c.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const err = [];
    child.stderr.on('data', (b) => {
      err.push(b);
      if (err.length > 64) err.shift();
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolveRun({ code: exitCode, stderr: Buffer.concat(err).toString() }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${c.argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  let rssMiB = Number.NaN;
  if (existsSync(statsFile)) {
    const { readFile } = await import('node:fs/promises');
    const kib = Number((await readFile(statsFile, 'utf8')).trim().split('\n').pop());
    rssMiB = kib / 1024;
    await rm(statsFile, { force: true });
  }
  return { seconds, rssMiB };
}

function makeBench(suite) {
  return {
    small: args.small,
    dir: benchDir,
    repoRoot,
    /** Path of a tree of real files (~500 MiB, ~23k files; 64 MiB with --small), built once and cached. */
    realTree: () => ensureRealTree(benchDir, { small: args.small }),
    /** A cached fixture: `create(path)` runs only when the path does not exist yet. */
    async fixture(name, create) {
      const path = join(benchDir, 'fixtures', `${name}${args.small ? '-small' : ''}`);
      const done = `${path}.done`;
      if (!existsSync(done)) {
        await rm(path, { recursive: true, force: true });
        await mkdir(dirname(path), { recursive: true });
        await create(path);
        await writeFile(done, new Date().toISOString());
      }
      return path;
    },
    /** A fresh, empty scratch path (removed first if it exists); the directory itself is not created. */
    tmp(name) {
      return join(benchDir, 'scratch', suite, name);
    },
    async compare(title, { lading, peers = {}, runs, targets = [] }) {
      const n = Number(args.runs ?? runs ?? 5);
      const tools = [['lading', lading], ...Object.entries(peers)];
      const samples = new Map(tools.map(([label]) => [label, []]));
      process.stderr.write(`\n[${suite}] ${title}\n`);
      await mkdir(join(benchDir, 'scratch', suite), { recursive: true });
      // One warm-up each (page cache, lazy init), then n interleaved timed rounds.
      for (const [label, cmd] of tools) {
        process.stderr.write(`  warm-up ${label}\n`);
        await timeOnce(cmd);
      }
      for (let i = 0; i < n; i++) {
        for (const [label, cmd] of tools) {
          const s = await timeOnce(cmd);
          samples.get(label).push(s);
          process.stderr.write(
            `  run ${i + 1}/${n} ${label}: ${s.seconds.toFixed(3)} s, ${s.rssMiB.toFixed(0)} MiB\n`,
          );
        }
      }
      const rows = tools.map(([label, cmd]) => {
        const xs = samples.get(label);
        return {
          tool: label,
          command: normaliseCmd(cmd).argv.join(' '),
          medianSeconds: median(xs.map((x) => x.seconds)),
          peakRssMiB: Math.max(...xs.map((x) => x.rssMiB)),
          runs: xs.length,
        };
      });
      const mine = rows[0].medianSeconds;
      for (const r of rows) r.ratio = mine / r.medianSeconds;
      const checks = targets.map((t) => {
        const peer = rows.find((r) => r.tool === t.peer);
        const ratio = peer ? mine / peer.medianSeconds : Number.NaN;
        return { ...t, ratio, pass: ratio <= t.maxRatio };
      });
      results.push({ suite, kind: 'compare', title, rows, targets: checks });
      return { rows, targets: checks };
    },
    record(title, { value, unit, limit, note }) {
      const pass = limit === undefined ? undefined : value <= limit;
      results.push({ suite, kind: 'record', title, value, unit, limit, pass, note });
      process.stderr.write(
        `\n[${suite}] ${title}: ${value} ${unit}${limit === undefined ? '' : ` (limit ${limit})`}\n`,
      );
    },
    /** Times `fn` in this process (for API-level figures); returns the median seconds. */
    async timeFn(fn, { runs: r = 5 } = {}) {
      await fn();
      const xs = [];
      for (let i = 0; i < r; i++) {
        const t = process.hrtime.bigint();
        await fn();
        xs.push(Number(process.hrtime.bigint() - t) / 1e9);
      }
      return median(xs);
    },
  };
}

function fmt(x, digits = 3) {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

function printTable() {
  const lines = ['', '# lading benchmarks', ''];
  for (const r of results) {
    if (r.kind === 'error') {
      lines.push(`[${r.suite}] FAILED: ${r.error}`);
      continue;
    }
    if (r.kind === 'record') {
      const verdict = r.pass === undefined ? '' : r.pass ? ' PASS' : ' FAIL';
      lines.push(
        `[${r.suite}] ${r.title}: ${fmt(r.value)} ${r.unit}${r.limit === undefined ? '' : ` (limit ${r.limit})`}${verdict}${r.note ? ` [${r.note}]` : ''}`,
      );
      continue;
    }
    lines.push(`[${r.suite}] ${r.title}`);
    lines.push('  | tool | median s | peak RSS MiB | lading / tool |');
    lines.push('  |---|---:|---:|---:|');
    for (const row of r.rows) {
      lines.push(
        `  | ${row.tool} | ${fmt(row.medianSeconds)} | ${fmt(row.peakRssMiB, 0)} | ${fmt(row.ratio, 2)} |`,
      );
    }
    for (const t of r.targets) {
      lines.push(
        `  target: lading / ${t.peer} <= ${t.maxRatio}: ${fmt(t.ratio, 2)} ${t.pass ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  console.log(lines.join('\n'));
}

async function main() {
  await mkdir(benchDir, { recursive: true });
  const only = args.only ? new Set(args.only.split(',')) : undefined;
  const files = (await readdir(join(here, 'suites'))).filter((f) => f.endsWith('.mjs')).sort();
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.mjs$/, '');
    if (only && !only.has(name)) continue;
    const mod = await import(join(here, 'suites', file));
    try {
      await mod.default(makeBench(name));
    } catch (err) {
      failed++;
      process.stderr.write(`\n[${name}] suite failed: ${err?.stack ?? err}\n`);
      results.push({ suite: name, kind: 'error', title: 'suite failed', error: String(err?.message ?? err) });
    }
  }
  printTable();
  await mkdir(dirname(args.out), { recursive: true });
  const machine = { node: process.version, cpus: (await import('node:os')).cpus().length, small: args.small };
  await writeFile(
    args.out,
    `${JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2)}\n`,
  );
  console.log(`\nresults written to ${args.out}`);
  if (failed) process.exitCode = 1;
}

await main();
