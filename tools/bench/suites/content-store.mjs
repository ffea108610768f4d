// @lading/digest and @lading/content-store against the tools everyone has: sha256 of a 1 GiB random file
// (openssl, coreutils), and a LocalStore ingest of it (hash + write + fsync + rename into blobs/) against cp + sync.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export default async function (bench) {
  const size = bench.small ? 64 * 1024 * 1024 : 1024 * 1024 * 1024;
  const label = bench.small ? '64 MiB' : '1 GiB';
  const file = await bench.fixture('random-1gib.bin', async (path) => {
    execFileSync('sh', ['-c', 'head -c "$0" /dev/urandom > "$1"', String(size), path]);
  });
  const scripts = join(bench.repoRoot, 'tools', 'bench', 'scripts');
  // Every timed run starts with no dirty pages from an earlier one, so `sync` flushes only its own writes.
  const flush = () => execFileSync('sync');

  await bench.compare(`sha256 of a ${label} file`, {
    lading: [process.execPath, join(scripts, 'content-store-digest.mjs'), file],
    peers: {
      'openssl dgst': ['openssl', 'dgst', '-sha256', file],
      sha256sum: ['sha256sum', file],
    },
    targets: [{ peer: 'openssl dgst', maxRatio: 1.15 }],
  });

  const store = bench.tmp('store');
  const dest = bench.tmp('cp-dest');
  const ingest = await bench.compare(`LocalStore ingest of a ${label} file (hash + write + fsync + rename)`, {
    lading: {
      argv: [process.execPath, join(scripts, 'content-store-ingest.mjs'), file, store],
      prepare: async () => {
        await rm(store, { recursive: true, force: true });
        flush();
      },
    },
    peers: {
      'cp && sync': {
        argv: ['sh', '-c', 'cp "$0" "$1" && sync', file, dest],
        prepare: async () => {
          await rm(dest, { force: true });
          flush();
        },
      },
    },
    targets: [{ peer: 'cp && sync', maxRatio: 1.5 }],
  });
  bench.record(`LocalStore ingest of a ${label} file: peak RSS`, {
    value: Math.round(ingest.rows[0].peakRssMiB),
    unit: 'MiB',
    limit: 120,
  });
  await rm(store, { recursive: true, force: true });
  await rm(dest, { force: true });
}
