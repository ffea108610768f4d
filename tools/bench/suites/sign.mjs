// Signing on the way out: `lading push` of the same small image, warm (every blob present), with and without
// `--sign-key`, whole process; the difference is what signing costs (issue 15: less than 50 ms). Two keys: an
// OpenPGP key made by gpg (no passphrase), and a cosign key (its scrypt unlock is most of its cost, by design).
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startRegistry(dir) {
  const port = await freePort();
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'storage') } },
      http: { addr: `127.0.0.1:${port}`, secret: 'lading-bench' },
    }),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function (bench) {
  const cli = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const dir = bench.tmp('sign');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const layout = join(dir, 'layout');
  execFileSync('node', [
    cli,
    'export',
    join(bench.repoRoot, 'examples/hello-rootfs'),
    '-o',
    `type=oci,tar=false,dest=${layout}`,
    '--tag',
    'bench',
  ]);
  const gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const gpg = (args) =>
    execFileSync('gpg', ['--homedir', gnupg, '--batch', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  gpg(['--passphrase', '', '--quick-gen-key', 'Bench <bench@example.com>', 'default', 'default', 'never']);
  await writeFile(join(dir, 'key.asc'), gpg(['--armor', '--export-secret-keys', 'bench@example.com']));
  const env = { ...process.env, LADING_PASSPHRASE: 'bench' };
  execFileSync('node', [cli, 'key', 'generate', '--out', join(dir, 'cosign')], { env });
  await mkdir(join(dir, 'registries.d'));
  await writeFile(
    join(dir, 'registries.d', 'default.yaml'),
    `default-docker:\n  lookaside: file://${join(dir, 'sigstore')}\n`,
  );
  const registry = await startRegistry(join(dir, 'registry'));
  const ref = `docker://${registry.host}/bench/signed:1`;
  const push = (...extra) => ({
    argv: [
      'node',
      cli,
      'push',
      `oci:${layout}:bench`,
      ref,
      '--insecure',
      '--registries.d',
      join(dir, 'registries.d'),
      ...extra,
    ],
    env,
  });
  try {
    execFileSync('node', [cli, 'push', `oci:${layout}:bench`, ref, '--insecure']);
    const { rows } = await bench.compare('lading push, warm (all present), with and without --sign-key', {
      lading: push('--sign-key', join(dir, 'key.asc')),
      peers: {
        'unsigned push': push(),
        'cosign key': push('--sign-key', join(dir, 'cosign.key')),
        // how loaded the machine is: Node's own start, for scale
        'node -e 0': ['node', '-e', '0'],
      },
      runs: 9,
    });
    const by = Object.fromEntries(rows.map((r) => [r.tool, r.medianSeconds]));
    bench.record('signing adds, OpenPGP key (whole process, median difference)', {
      value: Number(((by.lading - by['unsigned push']) * 1000).toFixed(1)),
      unit: 'ms',
      limit: 50,
    });
    bench.record('signing adds, cosign key (whole process, median difference)', {
      value: Number(((by['cosign key'] - by['unsigned push']) * 1000).toFixed(1)),
      unit: 'ms',
      note: "most of it is the key's scrypt unlock (N=32768, r=8), which cosign pays too",
    });
    // the signing step alone, in this process: a signature over a digest, for a warm signer
    const sign = await import(join(bench.repoRoot, 'packages/sign/dist/index.js'));
    const { readFileSync } = await import('node:fs');
    const signer = await sign.loadSigningKey(readFileSync(join(dir, 'key.asc')));
    const digest = `sha256:${'0'.repeat(64)}`;
    const xs = [];
    for (let i = 0; i < 9; i++) {
      const t = process.hrtime.bigint();
      await signer.sign(digest, `${registry.host}/bench/signed:1`);
      xs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    bench.record('one OpenPGP signature, API, key loaded', {
      value: Number(median(xs).toFixed(2)),
      unit: 'ms',
    });
  } finally {
    await registry.stop();
  }
}
