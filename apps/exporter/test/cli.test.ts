import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examplePlugin, helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-cli-');
});
afterEach(async () => dir.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') });

describe('lading CLI', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await lading(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `lading ${pkg.version}\n` });
  });

  it('every command has --help with examples', async () => {
    for (const c of ['export', 'inspect', 'push', 'copy', 'ls', 'tag', 'rm', 'gc']) {
      const r = await lading([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: lading ${c}`);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it.each([
    [['frobnicate'], 2, 'unknown command'],
    [['export', '--no-such-flag'], 2, 'unknown flag: --no-such-flag'],
    [
      ['export', '--tga', 'a:1'],
      2,
      'lading: unknown flag: --tga (did you mean --tag?)\nSee: lading export --help',
    ],
    [['push', '--insecur', 'a:1'], 2, 'unknown flag: --insecur (did you mean --insecure?)'],
    [['export', helloRootfs, '-o', 'dest=x,tar=false'], 2, 'type=... is required'],
    [['export', helloRootfs, '-o', 'type=nope'], 2, 'unknown output type "nope"'],
    [['export', helloRootfs, '-o', 'type=image,push=maybe,name=a'], 2, 'non-bool value specified for push'],
    [
      ['export', helloRootfs, '-o', 'type=image,compression=lz4'],
      2,
      'unsupported layer compression type: lz4',
    ],
    [['export'], 2, 'nothing to export'],
    [['export', helloRootfs, '--progress', 'fancy'], 2, '--progress=fancy'],
    [['export', helloRootfs, '--epoch', 'yesterday'], 3, 'invalid epoch'],
    [['export', helloRootfs, '--cmd', '[1,2]'], 2, 'JSON array of strings'],
    [['export', helloRootfs, '--base', 'oci:/nonexistent/layout:x'], 4, 'no OCI image layout'],
    [['inspect', 'no-such-image'], 4, 'no image named'],
    [
      ['export', helloRootfs, '--exporter-plugin', '/nonexistent/plugin.mjs', '-o', 'type=summary,dest=x'],
      4,
      'cannot load exporter plugin',
    ],
  ])('%j exits %i', async (args, code, message) => {
    const r = await lading(args as string[], { cwd: dir.path, env: env() });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
  });

  it('with no --output writes an OCI layout under ./out; --metadata-file and --json carry the response', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--tag',
        'hello:latest',
        '--json',
        '--metadata-file',
        'meta.json',
        '--progress',
        'plain',
        '--env',
        'A=1',
        '--cmd',
        'echo hi',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).toContain('exporting layers');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const digest = out.outputs[0].response['containerimage.digest'];
    const meta = JSON.parse(await readFile(join(dir.path, 'meta.json'), 'utf8'));
    expect(meta['containerimage.digest']).toBe(digest);
    expect(meta['containerimage.descriptor'].digest).toBe(digest);
    expect(meta['image.name']).toBe('docker.io/library/hello:latest');
    const index = JSON.parse(await readFile(join(dir.path, 'out', 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(digest);
    const manifestBytes = await readFile(join(dir.path, 'out', 'blobs', 'sha256', digest.slice(7)));
    expect(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`).toBe(digest);
    const manifest = JSON.parse(manifestBytes.toString());
    const config = JSON.parse(
      await readFile(join(dir.path, 'out', 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8'),
    );
    expect(config.config.Env).toContain('A=1');
    expect(config.config.Cmd).toEqual(['/bin/sh', '-c', 'echo hi']);
  });

  it('SOURCE_DATE_EPOCH makes the export reproducible', async () => {
    const a = await lading(['export', helloRootfs, '-o', 'type=oci,dest=a.tar', '--json'], {
      cwd: dir.path,
      env: { ...env(), SOURCE_DATE_EPOCH: '1700000000' },
    });
    const b = await lading(['export', helloRootfs, '-o', 'type=oci,dest=b.tar', '--json'], {
      cwd: dir.path,
      env: { ...env(), SOURCE_DATE_EPOCH: '1700000000' },
    });
    expect(a.code).toBe(0);
    const da = JSON.parse(a.stdout).outputs[0].response['containerimage.digest'];
    expect(JSON.parse(b.stdout).outputs[0].response['containerimage.digest']).toBe(da);
    const hash = async (f: string) =>
      createHash('sha256')
        .update(await readFile(join(dir.path, f)))
        .digest('hex');
    expect(await hash('a.tar')).toBe(await hash('b.tar'));
  });

  it('type=image names the image in the store: ls, tag, inspect, rm, gc', async () => {
    const e = await lading(['export', helloRootfs, '-o', 'type=image,name=hello:1', '--json'], {
      cwd: dir.path,
      env: env(),
    });
    expect(e.code).toBe(0);
    const digest = JSON.parse(e.stdout).outputs[0].response['containerimage.digest'];
    expect((await lading(['tag', 'hello:1', 'hello:2'], { env: env() })).code).toBe(0);
    const ls = JSON.parse((await lading(['ls', '--json'], { env: env() })).stdout);
    expect(ls.map((i: { name: string }) => i.name).sort()).toEqual(['hello:1', 'hello:2']);
    expect(ls.every((i: { digest: string }) => i.digest === digest)).toBe(true);
    const inspected = JSON.parse((await lading(['inspect', 'hello:2', '--config'], { env: env() })).stdout);
    expect(inspected.rootfs.diff_ids).toHaveLength(1);
    expect((await lading(['rm', 'hello:1', 'hello:2'], { env: env() })).code).toBe(0);
    const gc = JSON.parse((await lading(['gc', '--json'], { env: env() })).stdout);
    expect(gc.removed).toBeGreaterThanOrEqual(3);
  });

  it("type=moby writes the image into the --moby-root data-root: config under the image ID, tag in dockerd's repositories.json", async () => {
    const r = await lading(
      ['export', helloRootfs, '-o', 'type=moby,name=hello:5', '--json', '--progress', 'plain'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const id = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    expect(r.stderr).toContain(`writing image ${id}`);
    expect(r.stderr).toContain('naming to docker.io/library/hello:5');
    const root = join(dir.path, 'moby', 'image', 'vfs');
    const config = await readFile(join(root, 'imagedb', 'content', 'sha256', id.slice(7)));
    expect(`sha256:${createHash('sha256').update(config).digest('hex')}`).toBe(id);
    const repos = JSON.parse(await readFile(join(root, 'repositories.json'), 'utf8'));
    expect(repos.Repositories.hello['hello:5']).toBe(id);
  });

  it('loads the example plugin with --exporter-plugin', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--exporter-plugin',
        examplePlugin,
        '-o',
        'type=summary,dest=s.json',
        '--metadata-file',
        'm.json',
      ],
      {
        cwd: dir.path,
        env: env(),
      },
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(await readFile(join(dir.path, 's.json'), 'utf8'));
    expect(summary.layers).toHaveLength(1);
    expect(summary.layers[0].diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const missing = await lading(
      ['export', helloRootfs, '--exporter-plugin', examplePlugin, '-o', 'type=summary'],
      { cwd: dir.path, env: env() },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('type=summary needs dest=FILE');
  });
});

describe('lading export inputs', () => {
  it('tarballs and tree diffs become layers; --cache-to type=local writes a BuildKit cache that --cache-from reads', async () => {
    const { mkdir, writeFile, utimes } = await import('node:fs/promises');
    const { execFileSync } = await import('node:child_process');
    const lower = join(dir.path, 'lower');
    const upper = join(dir.path, 'upper');
    await mkdir(join(lower, 'a'), { recursive: true });
    await writeFile(join(lower, 'a', 'gone.txt'), 'x');
    await writeFile(join(lower, 'keep.txt'), 'same');
    await mkdir(join(upper, 'a'), { recursive: true });
    await writeFile(join(upper, 'keep.txt'), 'same');
    await writeFile(join(upper, 'new.txt'), 'new');
    // like containerd's diff, a differing mtime counts as a change: pin both copies to one instant
    const pinned = new Date('2024-01-01T00:00:00Z');
    await utimes(join(lower, 'keep.txt'), pinned, pinned);
    await utimes(join(upper, 'keep.txt'), pinned, pinned);
    execFileSync('tar', ['-czf', join(dir.path, 'extra.tgz'), '-C', lower, '.']);
    const r = await lading(
      [
        'export',
        '--tarball',
        'extra.tgz',
        '--diff',
        'lower:upper',
        '-o',
        'type=oci,tar=false,dest=layout',
        '--cache-to',
        'type=local,dest=cache',
        '--json',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const digest = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    const manifest = JSON.parse(
      await readFile(join(dir.path, 'layout', 'blobs', 'sha256', digest.slice(7)), 'utf8'),
    );
    expect(manifest.layers).toHaveLength(2);
    // the diff layer holds the new file and a whiteout for the removed one, not the unchanged file
    const diffBlob = join(dir.path, 'layout', 'blobs', 'sha256', manifest.layers[1].digest.slice(7));
    const names = execFileSync('tar', ['-tzf', diffBlob], { encoding: 'utf8' }).split('\n').filter(Boolean);
    // the removal shows as a whiteout for the file or an opaque directory
    expect(names.some((n) => n.endsWith('.wh.gone.txt') || n === 'a/.wh..wh..opq')).toBe(true);
    expect(names.some((n) => n.endsWith('new.txt'))).toBe(true);
    expect(names.some((n) => n.endsWith('keep.txt'))).toBe(false);
    const cacheIndex = JSON.parse(await readFile(join(dir.path, 'cache', 'index.json'), 'utf8'));
    expect(cacheIndex.manifests).toHaveLength(1);
    const again = await lading(
      ['export', helloRootfs, '--cache-from', 'type=local,src=cache', '-o', 'type=oci,dest=x.tar'],
      { cwd: dir.path, env: env() },
    );
    expect(again.code).toBe(0);
    const bad = await lading(['export', helloRootfs, '--cache-to', 'type=s3,bucket=x'], {
      cwd: dir.path,
      env: env(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cache-to type=s3: use local or registry');
  });

  it('a warm re-export into the same layout reuses the layer from the layer cache', async () => {
    const args = ['export', helloRootfs, '-o', 'type=oci,tar=false,dest=w', '--json', '--progress', 'json'];
    const first = await lading(args, { cwd: dir.path, env: env() });
    const second = await lading(args, { cwd: dir.path, env: env() });
    expect(first.stderr).toContain('"message":"layer 0: sha256:');
    expect(first.stderr).not.toContain('(cached)');
    expect(second.stderr).toContain('(cached)');
    expect(JSON.parse(second.stdout).outputs[0].response['containerimage.digest']).toBeTruthy();
  });

  it('SIGINT while reading input exits 130', async () => {
    const { spawn, execFileSync } = await import('node:child_process');
    const { mainJs } = await import('./helpers.js');
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(
      process.execPath,
      [mainJs, 'export', '--tarball', fifo, '-o', 'type=oci,dest=x.tar'],
      {
        cwd: dir.path,
        env: { ...process.env, ...env() },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    // Opening the fifo for writing returns once the child has opened it for reading: it is reading input now.
    const { open } = await import('node:fs/promises');
    const writer = await open(fifo, 'w');
    child.kill('SIGINT');
    const { constants } = await import('node:os');
    const status = await new Promise<number>((r) =>
      child.on('close', (code, signal) => r(code ?? 128 + (signal ? constants.signals[signal] : 0))),
    );
    await writer.close();
    expect(stderr).toContain('interrupted');
    // exit 130, or (input stuck in a blocking read) death by SIGINT, which a shell reports as 130
    expect(status).toBe(130);
  }, 20_000);
});
