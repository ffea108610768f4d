// LocalStore under concurrency, with real processes (test/fixtures/stress-child.mjs, which imports the built
// package): stale-lock takeovers race, two pulls of one blob meet on one ingest ref, and pulls run against a GC loop
// while some of them are killed with SIGKILL. Blob contents are checked here with node:crypto.
// LADING_STORE_STRESS_RUNS sets the number of kill -9 / GC / pull rounds (default 20; 200 for the full run).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalStore } from '../src/local-store.js';

const child = join(import.meta.dirname, 'fixtures', 'stress-child.mjs');
const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  onLine?: (line: string) => void;
}

function start(...args: string[]): Child {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c: Child = {
    proc,
    lines: [],
    exit: new Promise((resolve) => {
      let stderr = '';
      proc.stderr?.on('data', (d) => {
        stderr += d;
      });
      proc.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    }),
  };
  let buf = '';
  proc.stdout?.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      c.lines.push(line);
      c.onLine?.(line);
    }
  });
  return c;
}

let tmp: TempDir;
let layout: string;
beforeEach(async () => {
  tmp = await makeTempDir('lading-concurrency-');
  layout = join(tmp.path, 'layout');
  await openLocalStore(layout);
});
afterEach(() => tmp.cleanup());

// LADING_STORE_STRESS_RUNS rounds, each a few seconds on a loaded machine: the time limit grows with them.
const stressRuns = Number(process.env.LADING_STORE_STRESS_RUNS ?? 20);

describe('FileLock takeover', () => {
  it('ten processes taking over stale locks 60 times each: never two holders at once', async () => {
    const lock = join(tmp.path, 'the.lock');
    const go = join(tmp.path, 'go');
    // Start from a stale lock: its holder is gone.
    writeFileSync(
      lock,
      JSON.stringify({ pid: 4194305, host: (await import('node:os')).hostname(), token: 'gone' }),
    );
    const racers = Array.from({ length: 10 }, () => start('lock', lock, join(tmp.path, 'holder'), '60', go));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(go, '');
    const exits = await Promise.all(racers.map((c) => c.exit));
    const lines = racers.flatMap((c) => c.lines);
    expect(lines.filter((l) => l === 'TWO HOLDERS')).toEqual([]);
    expect(exits.map((e) => e.code)).toEqual(Array(10).fill(0));
  }, 120_000);
});

describe('pulls against one store', () => {
  it('two processes writing the same blob under one ingest ref both succeed (the second waits)', async () => {
    const go = join(tmp.path, 'go');
    const size = String(4 * 1024 * 1024);
    const writers = ['a', 'b'].map(() => start('same', layout, 'lading-pull-same', size, go));
    await new Promise((r) => setTimeout(r, 400));
    writeFileSync(go, '');
    const exits = await Promise.all(writers.map((c) => c.exit));
    expect(exits.map((e) => [e.code, e.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const want = `sha256:${sha256hex(Buffer.alloc(4 * 1024 * 1024, 7))}`;
    expect(writers.map((c) => c.lines[0])).toEqual([want, want]);
    expect(readdirSync(join(layout, 'blobs', 'sha256'))).toEqual([want.slice(7)]);
  }, 60_000);

  it(
    'kill -9, a GC loop and concurrent pulls: no blob a name or lease holds is ever missing, none is partial',
    async () => {
      const blobs = join(layout, 'blobs', 'sha256');
      /** Every digest a puller reported committed: from then on a lease or a tag holds it. */
      const held = new Set<string>();
      /** Blobs written with no lease and never named: the GC's to take. */
      const garbage = new Set<string>();
      const missing: string[] = [];
      const check = () => {
        for (const d of held) if (!existsSync(join(blobs, d.slice(7)))) missing.push(d);
      };
      let gc = start('gc', layout);
      const failures: string[] = [];
      let killed = 0;
      for (let run = 0; run < stressRuns; run++) {
        if (run % 5 === 4) {
          // The GC dies too, mid-run, with its lock held: the next one takes it over.
          gc.proc.kill('SIGKILL');
          await gc.exit;
          gc = start('gc', layout);
        }
        const pullers = Array.from({ length: 3 }, (_, k) => {
          const c = start('pull', layout, `${run}-${k}`, '4', '2');
          c.onLine = (line) => {
            if (line.startsWith('garbage ')) garbage.add(line.slice('garbage '.length));
            if (!line.startsWith('committed ')) return;
            const d = line.slice('committed '.length);
            held.add(d);
            if (!existsSync(join(blobs, d.slice(7)))) missing.push(d);
          };
          return c;
        });
        const victim = run % 3 === 2 ? undefined : pullers[Math.floor(Math.random() * pullers.length)];
        const killer = setTimeout(() => victim?.proc.kill('SIGKILL'), 40 + Math.random() * 250);
        const poll = setInterval(check, 15);
        const exits = await Promise.all(pullers.map((c) => c.exit));
        clearTimeout(killer);
        clearInterval(poll);
        check();
        for (const [k, e] of exits.entries()) {
          if (e.signal === 'SIGKILL' && pullers[k] === victim) killed++;
          else if (e.code !== 0)
            failures.push(`run ${run} puller ${k}: exit ${e.code} ${e.signal ?? ''} ${e.stderr}`);
        }
        expect(failures).toEqual([]);
        expect(missing).toEqual([]);
        if (stressRuns > 20) process.stdout.write(`store stress: run ${run + 1}/${stressRuns} clean\n`);
      }
      gc.proc.kill('SIGKILL');
      await gc.exit;
      // Nothing partial: every file under blobs/ is its digest's content; every tag's graph is whole.
      for (const hex of readdirSync(blobs)) expect(sha256hex(readFileSync(join(blobs, hex)))).toBe(hex);
      const store = await openLocalStore(layout);
      for (const m of (await store.readIndex()).manifests) {
        const manifest = JSON.parse(readFileSync(join(blobs, m.digest.slice(7)), 'utf8'));
        for (const d of [manifest.config, ...manifest.layers])
          expect(existsSync(join(blobs, d.digest.slice(7)))).toBe(true);
      }
      // And the GC did collect: each puller's unleased, unnamed blob is gone once a GC ran after it.
      await store.gc();
      const names = new Set(readdirSync(blobs));
      for (const d of held) expect(names.has(d.slice(7))).toBe(true);
      expect(garbage.size).toBeGreaterThan(0);
      expect([...garbage].filter((d) => names.has(d.slice(7)))).toEqual([]);
      process.stdout.write(
        `store stress: ${stressRuns} runs, ${killed} pullers killed, ${held.size} held blobs checked\n`,
      );
    },
    stressRuns * 30_000,
  );
});
