import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helloRootfs, lading, mainJs } from './helpers.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-outputs-');
});
afterEach(async () => dir.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') });
/** Runs lading with its stdout going to a file (bytes as they are). */
function ladingToFile(args: string[], file: string): { status: number | null; stderr: string } {
  const fd = openSync(join(dir.path, file), 'w');
  try {
    const r = spawnSync(process.execPath, [mainJs, ...args], {
      cwd: dir.path,
      env: { ...process.env, ...env() },
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir.path, encoding: 'utf8' });

/** Two trees: the lower one a layer of its own, the upper its diff (a changed file, two removed, one added). */
function twoLayerTrees(): string[] {
  const lower = join(dir.path, 'lower');
  const upper = join(dir.path, 'upper');
  const inputs = ['--layer', lower, '--diff', `${lower}:${upper}`];
  if (existsSync(lower)) return inputs;
  for (const root of [lower, upper]) {
    mkdirSync(join(root, 'dir'), { recursive: true });
    writeFileSync(join(root, 'shared'), 'shared bytes\n');
    linkSync(join(root, 'shared'), join(root, 'hardlink'));
    symlinkSync('keep.txt', join(root, 'sym'));
    writeFileSync(join(root, 'dir', 'b'), 'b\n');
    writeFileSync(join(root, 'owned'), 'owned\n');
    if (process.getuid?.() === 0) chownSync(join(root, 'owned'), 1234, 5678);
  }
  writeFileSync(join(lower, 'keep.txt'), 'keep\n');
  writeFileSync(join(lower, 'gone.txt'), 'gone\n');
  writeFileSync(join(lower, 'dir', 'a'), 'a\n');
  writeFileSync(join(upper, 'keep.txt'), 'kept, and changed\n');
  writeFileSync(join(upper, 'dir', 'c'), 'c\n');
  writeFileSync(join(upper, 'new.txt'), 'new\n');
  return inputs;
}

const merged = ['dir/', 'dir/b', 'dir/c', 'hardlink', 'keep.txt', 'new.txt', 'owned', 'shared', 'sym'];

/** GNU tar's verbose listing, parsed: name -> { perms, owner, target }. */
function listTar(file: string): Map<string, { line: string; owner: string; link?: string }> {
  const out = new Map<string, { line: string; owner: string; link?: string }>();
  for (const line of sh('tar', ['--numeric-owner', '--full-time', '-tvf', file])
    .split('\n')
    .filter(Boolean)) {
    const f = line.split(/\s+/);
    const rest = f.slice(5).join(' ');
    const [name, link] = rest.split(/ (?:->|link to) /) as [string, string | undefined];
    out.set(name, { line, owner: f[1] as string, ...(link !== undefined ? { link } : {}) });
  }
  return out;
}

describe('type=tar and type=local: the merged filesystem of the layers', () => {
  it('-o - writes the filesystem as a tar to stdout: whiteouts applied, owners of the image, links kept', async () => {
    const r = ladingToFile(['export', ...twoLayerTrees(), '-o', '-', '--progress', 'quiet'], 'fs.tar');
    expect(r.stderr).toBe('tar: stdout\n');
    expect(r.status).toBe(0);
    const listed = listTar(join(dir.path, 'fs.tar'));
    expect([...listed.keys()].sort()).toEqual(merged);
    expect(listed.get('hardlink')?.link ?? listed.get('shared')?.link).toMatch(/^(shared|hardlink)$/);
    expect(listed.get('sym')?.link).toBe('keep.txt');
    if (process.getuid?.() === 0) expect(listed.get('owned')?.owner).toBe('1234/5678');
    sh('mkdir', ['x']);
    sh('tar', ['-xf', 'fs.tar', '-C', 'x']);
    expect(readFileSync(join(dir.path, 'x', 'keep.txt'), 'utf8')).toBe('kept, and changed\n');
    expect(readFileSync(join(dir.path, 'x', 'hardlink'), 'utf8')).toBe('shared bytes\n');
  });

  it('-o DIR writes the tree into DIR (merging with what it holds), owned by the user running lading', async () => {
    mkdirSync(join(dir.path, 'local'));
    writeFileSync(join(dir.path, 'local', 'mine'), 'left alone\n');
    const r = await lading(['export', ...twoLayerTrees(), '-o', './local'], { cwd: dir.path, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('local: ./local');
    const files = sh('find', ['local', '-mindepth', '1']).split('\n').filter(Boolean).sort();
    expect(files).toEqual([...merged.map((m) => `local/${m.replace(/\/$/, '')}`), 'local/mine'].sort());
    expect(readFileSync(join(dir.path, 'local', 'keep.txt'), 'utf8')).toBe('kept, and changed\n');
    expect(lstatSync(join(dir.path, 'local', 'owned')).uid).toBe(process.getuid?.());
    const a = lstatSync(join(dir.path, 'local', 'shared'));
    expect(lstatSync(join(dir.path, 'local', 'hardlink')).ino).toBe(a.ino);
    // Nothing of the staging directory is left beside DEST.
    expect(
      sh('ls', ['-a'])
        .split('\n')
        .filter((n) => n.includes('lading-')),
    ).toEqual([]);
  });

  it('an epoch dates every entry, in the tarball and in the directory', async () => {
    const e = { ...env(), SOURCE_DATE_EPOCH: '1700000000' };
    const t = await lading(['export', ...twoLayerTrees(), '-o', 'type=tar,dest=fs.tar'], {
      cwd: dir.path,
      env: e,
    });
    expect(t.code).toBe(0);
    for (const { line } of listTar(join(dir.path, 'fs.tar')).values())
      expect(line).toContain('2023-11-14 22:13:20');
    const l = await lading(['export', ...twoLayerTrees(), '-o', 'type=local,dest=tree'], {
      cwd: dir.path,
      env: e,
    });
    expect(l.code).toBe(0);
    for (const f of sh('find', ['tree', '-mindepth', '1']).split('\n').filter(Boolean)) {
      expect(lstatSync(join(dir.path, f)).mtimeMs).toBe(1_700_000_000_000);
    }
  });

  it('several platforms go under os_arch directories; platform-split=false refuses files in both', async () => {
    const platforms = ['--platform', 'linux/amd64,linux/arm64'];
    const t = await lading(['export', helloRootfs, ...platforms, '-o', 'type=tar,dest=m.tar'], {
      cwd: dir.path,
      env: env(),
    });
    expect(t.code).toBe(0);
    const names = [...listTar(join(dir.path, 'm.tar')).keys()];
    expect(names).toContain('linux_amd64/etc/os-release');
    expect(names).toContain('linux_arm64/usr/share/hello/greeting.txt');
    const l = await lading(['export', helloRootfs, ...platforms, '-o', 'multi'], {
      cwd: dir.path,
      env: env(),
    });
    expect(l.code).toBe(0);
    expect(readFileSync(join(dir.path, 'multi', 'linux_arm64', 'etc', 'os-release'), 'utf8')).toBeTruthy();
    const clash = await lading(
      ['export', helloRootfs, ...platforms, '-o', 'type=local,dest=flat,platform-split=false'],
      {
        cwd: dir.path,
        env: env(),
      },
    );
    expect(clash.stderr).toContain('when split option is disabled');
    expect(clash.code).toBe(3);
  });

  it('refuses what buildx refuses: a local dest on stdout, two outputs on stdout, a dest that is a file', async () => {
    writeFileSync(join(dir.path, 'afile'), '');
    for (const [args, message] of [
      [['-o', 'type=local,dest=-'], 'dest cannot be stdout for local exporter'],
      [['-o', 'type=local'], 'dest is required for local exporter'],
      [['-o', '-', '-o', 'type=tar'], 'multiple outputs configured to write to stdout'],
      [['-o', './afile'], 'destination directory ./afile is a file'],
      [['-o', '-', '--json'], '--json and an output to stdout'],
      [['-o', 'type=local,dest=d,mode=delete'], 'mode=delete'],
    ] as const) {
      const r = await lading(['export', helloRootfs, ...args], { cwd: dir.path, env: env() });
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(2);
    }
  });
});

describe('one response shape for scripts', () => {
  it('--json and --metadata-file carry containerimage.descriptor as the same object', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '-o',
        'type=oci,dest=i.tar',
        '-t',
        'hello:1',
        '--json',
        '--metadata-file',
        'm.json',
      ],
      { cwd: dir.path, env: { ...env(), SOURCE_DATE_EPOCH: '0' } },
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const meta = JSON.parse(await readFile(join(dir.path, 'm.json'), 'utf8'));
    const desc = json.outputs[0].response['containerimage.descriptor'];
    expect(typeof desc).toBe('object');
    expect(desc).toEqual(meta['containerimage.descriptor']);
    expect(json['containerimage.descriptor']).toEqual(desc);
    expect(json['containerimage.digest']).toBe(meta['containerimage.digest']);
    // The descriptor is that of the manifest in the tarball: hash its bytes from index.json's entry.
    sh('mkdir', ['t']);
    sh('tar', ['-xf', 'i.tar', '-C', 't']);
    const index = JSON.parse(readFileSync(join(dir.path, 't', 'index.json'), 'utf8'));
    const bytes = readFileSync(join(dir.path, 't', 'blobs', 'sha256', desc.digest.slice(7)));
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(desc.digest);
    expect(desc.size).toBe(bytes.length);
    expect(desc.annotations['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z');
    expect(index.manifests[0].digest).toBe(desc.digest);
  });

  it('a moby export prints and answers its names like the others', async () => {
    const r = await lading(['export', helloRootfs, '-o', 'type=moby,name=hello:5', '--progress', 'quiet'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^moby: sha256:[0-9a-f]{64} docker\.io\/library\/hello:5\n$/);
    const j = await lading(['export', helloRootfs, '-o', 'type=moby,name=hello:6', '--json'], {
      cwd: dir.path,
      env: env(),
    });
    const response = JSON.parse(j.stdout).outputs[0].response;
    expect(response['image.name']).toBe('docker.io/library/hello:6');
    expect(response['containerimage.config.digest']).toBe(response['containerimage.digest']);
  });

  it('an unknown attribute is a warning with the key it is close to', async () => {
    const r = await lading(['export', helloRootfs, '-o', 'type=oci,dest=o.tar,compresion=zstd'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'WARNING: type=oci: unknown option "compresion" ignored (did you mean "compression"?)',
    );
    const local = await lading(['export', helloRootfs, '-o', 'type=local,dest=d,platfrom-split=true'], {
      cwd: dir.path,
      env: env(),
    });
    expect(local.stderr).toContain('did you mean "platform-split"?');
    const quiet = await lading(['export', helloRootfs, '-o', 'type=oci,dest=q.tar,compression=zstd'], {
      cwd: dir.path,
      env: env(),
    });
    expect(quiet.stderr).not.toContain('WARNING');
  });
});

describe('--push and --load, as buildx spells them', () => {
  it('--push without a name is type=registry asking for one; --load goes to the Docker Engine', async () => {
    const push = await lading(['export', helloRootfs, '--push'], { cwd: dir.path, env: env() });
    expect(push.stderr).toContain('push needs a name');
    expect(push.code).toBe(2);
    const load = await lading(['export', helloRootfs, '--load', '-t', 'x:1'], {
      cwd: dir.path,
      env: { ...env(), DOCKER_HOST: `unix://${join(dir.path, 'no-docker.sock')}` },
    });
    expect(load.stderr).toContain('no-docker.sock');
    expect(load.stderr).toContain('give dest=FILE to write the archive instead');
    expect(load.code).toBe(5);
  });
});
