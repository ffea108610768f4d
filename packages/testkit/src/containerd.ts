import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keepLog, stopChild, waitUntil } from './child.js';
import { requirePeer } from './peers.js';
import { type RunResult, run } from './run.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface RunningContainerd {
  /** The gRPC socket's path (what `ctr --address` and CONTAINERD_ADDRESS take). */
  readonly address: string;
  readonly root: string;
  readonly state: string;
  readonly dir: TempDir;
  /** Runs `ctr --address ADDRESS [--namespace NS] ...` (namespace `default` unless given). */
  ctr(
    args: readonly string[],
    options?: { namespace?: string; input?: string | Uint8Array; allowFailure?: boolean },
  ): Promise<RunResult>;
  logs(): string;
  stop(): Promise<void>;
}

export interface ContainerdOptions {
  /** More config.toml, appended (its own tables, e.g. `[plugins."io.containerd.gc.v1.scheduler"]`). */
  readonly extraConfig?: readonly string[];
}

/**
 * Starts Debian's containerd (1.6) as root from a temp `config.toml` of its own (`root`, `state`,
 * `grpc.address`, the CRI plugin off) and waits until `ctr version` answers. One per test file.
 */
export async function startContainerd(options: ContainerdOptions = {}): Promise<RunningContainerd> {
  const bin = requirePeer('containerd');
  const ctrBin = requirePeer('ctr');
  const dir = await makeTempDir('lading-ctrd-');
  const root = join(dir.path, 'root');
  const state = join(dir.path, 'state');
  const address = join(dir.path, 'c.sock');
  const config = join(dir.path, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = ${JSON.stringify(root)}`,
      `state = ${JSON.stringify(state)}`,
      '[grpc]',
      `  address = ${JSON.stringify(address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${address}.ttrpc`)}`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  disable = true',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${JSON.stringify(join(dir.path, 'opt'))}`,
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = keepLog(child);
  const ctr: RunningContainerd['ctr'] = (args, opts = {}) =>
    run(ctrBin, ['--address', address, '--namespace', opts.namespace ?? 'default', ...args], {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.allowFailure ? { allowFailure: true } : {}),
    });
  const up = await waitUntil(
    async () => {
      await access(address);
      return (await ctr(['version'], { allowFailure: true })).code === 0;
    },
    child,
    30_000,
  );
  const stop = async () => {
    await stopChild(child, 10_000);
    await dir.cleanup();
  };
  if (!up) {
    await stop();
    throw new Error(`containerd did not answer on ${address}:\n${logs()}`);
  }
  let stopped = false;
  return {
    address,
    root,
    state,
    dir,
    ctr,
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}
