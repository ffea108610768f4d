// LocalStore across processes: a writer killed with SIGKILL, two processes committing one digest, eight processes
// updating index.json. The children import the built package (turbo builds it before the tests).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Digest } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalStore } from '../src/local-store.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'store-child.mjs');
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

function start(...args: string[]): {
  proc: ChildProcess;
  output: Promise<string>;
  exit: Promise<number | null>;
} {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c) => {
    out += c;
  });
  proc.stderr?.on('data', (c) => {
    err += c;
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const output = exit.then((code) => {
    if (code !== 0 && code !== null) throw new Error(`child ${args[0]} exited ${code}: ${err}`);
    return out;
  });
  return { proc, output, exit };
}

function waitForLine(proc: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout?.on('data', (c) => {
      buf += c;
      if (buf.includes(`${line}\n`)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before "${line}"`)));
  });
}

function blobFiles(layout: string): string[] {
  return readdirSync(join(layout, 'blobs', 'sha256'));
}

describe('LocalStore across processes', () => {
  let dir: string;
  let layout: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lading-csp-'));
    layout = join(dir, 'layout');
    await openLocalStore(layout);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function killedHalfWay(ref: string, bytes: Buffer) {
    const src = join(dir, 'src.bin');
    await writeFile(src, bytes);
    const c = start('half', layout, ref, src);
    await waitForLine(c.proc, 'ready');
    return c;
  }

  it('a writer killed with SIGKILL leaves no visible blob; the ingest is listed, locked while alive, and resumes', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const c = await killedHalfWay('killed', bytes);
    const store = await openLocalStore(layout);
    // While the child lives, its lock holds.
    await expect(store.writer({ ref: 'killed' })).rejects.toMatchObject({ code: 'INGEST_LOCKED' });
    c.proc.kill('SIGKILL');
    await c.exit;
    expect(blobFiles(layout)).toEqual([]);
    await expect(store.info(sha256(bytes))).rejects.toMatchObject({ kind: 'not-found' });
    const listed = await store.listIngests();
    const half = Math.floor(bytes.length / 2);
    expect(listed.map((s) => [s.ref, s.offset])).toEqual([['killed', half]]);
    // The dead holder's lock is stale: a new writer takes over and continues where the child stopped.
    const w = await store.writer({ ref: 'killed' });
    const { offset } = await w.status();
    expect(offset).toBe(half);
    await w.write(bytes.subarray(offset));
    const desc = await w.commit({ digest: sha256(bytes), size: bytes.length });
    expect(desc.digest).toBe(sha256(bytes));
    expect(blobFiles(layout)).toEqual([sha256(bytes).slice(7)]);
    expect(
      createHash('sha256')
        .update(await readFile(join(layout, 'blobs', 'sha256', sha256(bytes).slice(7))))
        .digest('hex'),
    ).toBe(sha256(bytes).slice(7));
    expect(await store.listIngests()).toEqual([]);
  });

  it('a killed ingest can be cleaned by gc (stale ingests) or abortIngest', async () => {
    const bytes = randomBytes(1024 * 1024);
    const c1 = await killedHalfWay('clean-by-gc', bytes);
    c1.proc.kill('SIGKILL');
    await c1.exit;
    const store = await openLocalStore(layout);
    expect((await store.gc()).ingestsRemoved).toEqual([]); // not stale yet under the default threshold
    const report = await store.gc({ staleIngestMs: 0 });
    expect(report.ingestsRemoved).toEqual(['clean-by-gc']);
    expect(readdirSync(join(layout, 'ingest'))).toEqual([]);
    const c2 = await killedHalfWay('clean-by-abort', bytes);
    c2.proc.kill('SIGKILL');
    await c2.exit;
    await store.abortIngest('clean-by-abort');
    expect(await store.listIngests()).toEqual([]);
    expect(readdirSync(join(layout, 'ingest'))).toEqual([]);
    expect(blobFiles(layout)).toEqual([]);
  });

  it('two processes committing the same digest at once both succeed', async () => {
    const bytes = randomBytes(8 * 1024 * 1024);
    const src = join(dir, 'src.bin');
    const go = join(dir, 'go');
    await writeFile(src, bytes);
    const a = start('commit', layout, 'proc-a', src, go);
    const b = start('commit', layout, 'proc-b', src, go);
    await new Promise((r) => setTimeout(r, 150));
    await writeFile(go, '');
    const [outA, outB] = await Promise.all([a.output, b.output]);
    expect(outA.trim()).toBe(sha256(bytes));
    expect(outB.trim()).toBe(sha256(bytes));
    expect(blobFiles(layout)).toEqual([sha256(bytes).slice(7)]);
    const store = await openLocalStore(layout);
    expect((await store.info(sha256(bytes))).size).toBe(bytes.length);
    expect(await store.listIngests()).toEqual([]);
  });

  it('8 processes adding tags to index.json: every tag survives', async () => {
    const go = join(dir, 'go');
    const children = Array.from({ length: 8 }, (_, i) => start('tags', layout, `p${i}`, '5', go));
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(go, '');
    await Promise.all(children.map((c) => c.output));
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { annotations: Record<string, string> }[];
    };
    const tags = index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort();
    const want = Array.from({ length: 8 }, (_, i) => Array.from({ length: 5 }, (_, j) => `p${i}-${j}`))
      .flat()
      .sort();
    expect(tags).toEqual(want);
    // No lock left behind, and no change still registered with the GC guard.
    expect(readdirSync(join(layout, 'locks')).filter((n) => n !== 'active')).toEqual([]);
    expect(readdirSync(join(layout, 'locks', 'active'))).toEqual([]);
  });
});
