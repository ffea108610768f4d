import type { ChildProcess } from 'node:child_process';

/** Stops a child with SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Keeps the last `max` chunks a child writes, for error messages. */
export function keepLog(child: ChildProcess, max = 400): () => string {
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    lines.push(b.toString('utf8'));
    if (lines.length > max) lines.splice(0, lines.length - max);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('');
}

/** Polls `ready` every 50 ms until it is true, the child exits, or `timeoutMs` passes. */
export async function waitUntil(
  ready: () => Promise<boolean>,
  child: ChildProcess,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      if (await ready()) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
