// The sandbox of the hostile-tar tests: a target directory, and a sentinel directory beside it whose every byte and
// bit of metadata must stay as it was, whatever a layer unpacked into the target tries.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach } from 'vitest';

export async function* bytes(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

export interface Sandbox {
  readonly tmp: TempDir;
  /** Where layers are unpacked. */
  readonly target: string;
  /** The sentinel directory beside the target (`../outside` from it). */
  readonly outside: string;
}

/** Every path under `dir` (never following a symlink) with its type, mode, mtime, size, content hash, link target. */
export function fingerprint(
  dir: string,
  skip: (rel: string) => boolean = () => false,
): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = rel ? join(dir, rel) : dir;
    const st = lstatSync(p, { bigint: true });
    let what = `${st.mode.toString(8)} ${st.mtimeNs} ${st.size} ${st.nlink}`;
    if (st.isFile()) what += ` ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    out[rel || '.'] = what;
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) {
        const r = rel ? `${rel}/${n}` : n;
        if (!skip(r)) walk(r);
      }
    }
  };
  walk('');
  return out;
}

/** Everything in the sandbox but the target's contents. */
export function outsideState(box: Sandbox): Record<string, string> {
  return fingerprint(box.tmp.path, (r) => r === 'target' || r.startsWith('target/'));
}

/** A fresh sandbox before each test (given to `ready`), removed after it. */
export function useSandbox(ready: (box: Sandbox) => void): void {
  let tmp: TempDir | undefined;
  beforeEach(async () => {
    tmp = await makeTempDir('lading-hostile-');
    // target and outside are siblings, so `../outside` from the target is the sentinel directory.
    const target = join(tmp.path, 'target');
    const outside = join(tmp.path, 'outside');
    mkdirSync(target);
    mkdirSync(join(outside, 'sub'), { recursive: true });
    writeFileSync(join(outside, 'sentinel'), 'keep me');
    writeFileSync(join(outside, 'sub', 'deeper'), 'keep me too');
    chmodSync(join(outside, 'sentinel'), 0o640);
    for (const p of [
      join(outside, 'sub', 'deeper'),
      join(outside, 'sentinel'),
      join(outside, 'sub'),
      outside,
    ]) {
      utimesSync(p, 1_000_000_000, 1_000_000_000);
    }
    ready({ tmp, target, outside });
  });
  afterEach(async () => {
    await tmp?.cleanup();
  });
}
