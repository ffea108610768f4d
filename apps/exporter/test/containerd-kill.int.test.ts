// kill -9 in the middle of an upload into a real containerd: no partial blob is content (the bytes stay in an
// ingest, which is not), no record is named, and the next export resumes the ingest at containerd's offset.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  havePeers,
  type PeerSetup,
  type RunningContainerd,
  setUpPeer,
  startContainerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lading, mainJs } from './helpers.js';

describe.runIf(havePeers('containerd', 'ctr'))('kill -9 during an export into containerd', () => {
  let daemon: RunningContainerd;
  let dir: TempDir;
  let tree: string;
  let peer: PeerSetup<RunningContainerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startContainerd(), 'lading-ctrd-kill-');
    ({ daemon, dir } = peer);
    tree = join(dir.path, 'tree');
    await mkdir(tree);
    // Random bytes do not compress: the layer blob is as big as the tree, long enough to kill mid-upload.
    for (let i = 0; i < 6; i++) await writeFile(join(tree, `blob-${i}`), randomBytes(16 * 1024 * 1024));
  }, 60_000);
  afterAll(async () => peer?.stop());

  const env = () => ({ ...process.env, LADING_STORE: join(dir.path, 'store') });
  const args = () => [
    'export',
    tree,
    '-o',
    'type=image,name=big:1,compression=uncompressed',
    '--containerd-address',
    daemon.address,
    '--progress',
    'json',
    '--json',
  ];
  const ctr = async (a: string[]) => (await daemon.ctr(a)).stdout;

  it('leaves an ingest and no content, then resumes it', async () => {
    // Start the export; once 8 MiB of the layer are on their way to containerd, kill -9 the whole process.
    const child = spawn(process.execPath, [mainJs, ...args()], {
      cwd: dir.path,
      env: env(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let layer: string | undefined;
    let total = 0;
    const killed = new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stderr.on('data', (c: Buffer) => {
        buffered += c.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const e = JSON.parse(line) as { event: string; id?: string; current?: number; total?: number };
          if (e.event === 'update' && e.id?.startsWith('layer sha256:') && (e.current ?? 0) >= 8 << 20) {
            layer = e.id.slice('layer '.length);
            total = e.total ?? 0;
            child.kill('SIGKILL');
          }
        }
      });
      child.on('exit', (code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`export ended (${code}) before it was killed`)),
      );
    });
    await killed;
    expect(layer).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(total).toBeGreaterThan(90 << 20);

    // Not content, not named; the bytes that arrived are an ingest (named after the digest), held by the lease.
    expect(await ctr(['content', 'ls', '-q'])).not.toContain(layer);
    expect((await ctr(['images', 'ls', '-q'])).trim()).toBe('');
    const active = (await ctr(['content', 'active'])).trim().split('\n').slice(1);
    expect(active).toHaveLength(1);
    const [ref, size] = (active[0] as string).split('\t');
    expect(ref).toBe(`lading-upload-${layer}`);
    // `ctr content active` prints sizes humanised ("12.58 MiB"): somewhere between the kill and the end.
    expect(size).toMatch(/MiB|MB/);
    expect(await ctr(['leases', 'ls'])).toContain('containerd.io/gc.expire=');

    // The next export resumes the ingest where containerd says it stopped, and completes.
    const again = await lading(args(), { cwd: dir.path, env: env() });
    expect(again.code).toBe(0);
    const resumed = /"message":"layer (sha256:[0-9a-f]{64}): resuming the upload at byte (\d+)"/.exec(
      again.stderr,
    );
    expect(resumed?.[1]).toBe(layer);
    expect(Number(resumed?.[2])).toBeGreaterThan(0);
    expect(Number(resumed?.[2])).toBeLessThan(total);
    expect((await ctr(['content', 'active'])).trim().split('\n')).toHaveLength(1);
    expect(await ctr(['images', 'check'])).toMatch(/docker.io\/library\/big:1 .*complete \(2\/2\)/);
    expect(await ctr(['content', 'ls', '-q'])).toContain(layer);
  }, 180_000);
});
