// Unpack without root, for real: when the tests run as root, the built package is run by an unprivileged user
// (setpriv to nobody). Device nodes are refused; read-only directories from lower layers still take this layer's
// entries and whiteouts, and get their modes back (as umoci --rootless does).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { type RawTarEntry, rawTar, snapshotTree } from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const nobody = 65534;
// Root, tar and setpriv go through the peer check: under CI a missing one is a failure, never a silent skip.
const canDrop = havePeers('tar', 'setpriv');
if (canDrop && !existsSync(dist)) throw new Error(`${dist} is missing: build the package first (pnpm build)`);

let tmp: TempDir;
let target: string;
beforeEach(async () => {
  tmp = await makeTempDir('lading-rootless-');
  chmodSync(tmp.path, 0o755);
  target = join(tmp.path, 'target');
  mkdirSync(target);
  chownSync(target, nobody, nobody);
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Applies the layers in order as nobody; returns undefined or the error's code and message. */
function unpackAsNobody(
  layers: readonly (readonly RawTarEntry[])[],
): { code: string; message: string } | undefined {
  const files = layers.map((entries, i) => {
    const f = join(tmp.path, `layer-${i}.tar`);
    writeFileSync(f, rawTar(entries));
    return f;
  });
  const script = `
    import { createReadStream } from 'node:fs';
    const { unpackLayers } = await import(${JSON.stringify(pathToFileURL(dist).href)});
    const [target, ...files] = process.argv.slice(1);
    try {
      await unpackLayers(target, files.map((f) => ({ source: createReadStream(f) })));
      console.log(JSON.stringify({ ok: true }));
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, message: e.message }));
    }`;
  const r = spawnSync(
    'setpriv',
    [
      `--reuid=${nobody}`,
      `--regid=${nobody}`,
      '--clear-groups',
      process.execPath,
      '--input-type=module',
      '-e',
      script,
      target,
      ...files,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`unpack as nobody failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim()) as { ok?: true; code?: string; message?: string };
  return out.ok ? undefined : { code: out.code ?? '', message: out.message ?? '' };
}

describe.runIf(canDrop)('unpack as an unprivileged user', () => {
  it('refuses a device node, naming it, and creates nothing for it', () => {
    const error = unpackAsNobody([
      [
        { name: 'dev/', type: '5' },
        { name: 'dev/null', type: '3' },
      ],
    ]);
    expect(error?.code).toBe('UNSAFE_TAR_ENTRY');
    expect(error?.message).toContain('"dev/null"');
    expect(existsSync(join(target, 'dev/null'))).toBe(false);
  });

  it('adds to and whites out of read-only directories of lower layers, and keeps their modes and times', () => {
    const error = unpackAsNobody([
      [
        { name: 'ro/', type: '5', mode: 0o555, mtime: 1_500_000_000 },
        { name: 'ro/a', content: 'a' },
        { name: 'ro/old', content: 'old' },
        { name: 'gone/', type: '5', mode: 0o555 },
        { name: 'gone/sub/', type: '5', mode: 0o500 },
        { name: 'gone/sub/f', content: 'f', mode: 0o400 },
        { name: 'locked/', type: '5', mode: 0o000, mtime: 1_400_000_000 },
      ],
      [
        { name: 'ro/b', content: 'b' },
        { name: 'ro/.wh.old' },
        { name: '.wh.gone' },
        { name: 'locked/inside', content: 'i' },
      ],
    ]);
    expect(error).toBeUndefined();
    execFileSync('chmod', ['-R', 'u+rwx', target]);
    const tree = snapshotTree(target);
    expect(Object.keys(tree)).toEqual(['locked', 'locked/inside', 'ro', 'ro/a', 'ro/b']);
    expect(statSync(join(target, 'locked/inside')).uid).toBe(nobody);
  });

  it('puts back the modes of read-only directories it opened up', () => {
    const error = unpackAsNobody([
      [
        { name: 'ro/', type: '5', mode: 0o555, mtime: 1_500_000_000 },
        { name: 'locked/', type: '5', mode: 0o000, mtime: 1_400_000_000 },
      ],
      [
        { name: 'ro/b', content: 'b' },
        { name: 'locked/inside', content: 'i' },
      ],
    ]);
    expect(error).toBeUndefined();
    const ro = statSync(join(target, 'ro'));
    const locked = statSync(join(target, 'locked'));
    expect([ro.mode & 0o7777, ro.mtimeMs / 1000]).toEqual([0o555, 1_500_000_000]);
    expect([locked.mode & 0o7777, locked.mtimeMs / 1000]).toEqual([0o000, 1_400_000_000]);
  });
});
