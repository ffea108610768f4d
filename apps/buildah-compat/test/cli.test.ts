import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort, run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { n, newRoot, pinned, scratchWithSrc, src, storedImage, tmp, useCliFixture } from './cli-fixture.js';
import { ladingBuildah, lb, tarListing } from './helpers.js';

useCliFixture();

describe('global behaviour', () => {
  it('--version, --help, command --help, unknown commands and options', async () => {
    const root = newRoot();
    expect((await ladingBuildah(root, ['--version'])).code).toBe(0);
    const v = await ladingBuildah(root, ['--version']);
    expect(v.code).toBe(0);
    const top = await ladingBuildah(root, ['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('commit');
    const h = await ladingBuildah(root, ['commit', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--timestamp');
    const u = await ladingBuildah(root, ['frob']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown command');
    const bad = await ladingBuildah(root, ['containers', '--frob']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/frob/);
  });

  it('every command has --help with Options and Examples (issue 19 item 11)', async () => {
    const root = newRoot();
    const commands = ['from', 'copy', 'add', 'config', 'commit', 'push', 'containers', 'rm', 'mount'];
    for (const c of [...commands, 'inspect', 'images', 'tag', 'rmi']) {
      const r = await ladingBuildah(root, [c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(`Usage: lading-buildah ${c}`);
      expect(r.stdout, c).toContain('Options:');
      expect(r.stdout, c).toContain('Examples:');
    }
  });

  it("config takes lading's spellings too: --workdir for --workingdir, --expose for --port (issue 19 item 9)", async () => {
    const root = newRoot();
    const c = await lb(root, ['from', 'scratch']);
    await lb(root, ['config', '--workdir', '/srv', '--expose', '8081/tcp', '--port', '8080', c]);
    const shown = JSON.stringify(JSON.parse(await lb(root, ['inspect', c])));
    expect(shown).toContain('"WorkingDir":"/srv"');
    expect(shown).toContain('"8081/tcp"');
    expect(shown).toContain('"8080":{}');
    const both = await ladingBuildah(root, ['config', '--workdir', '/a', '--workingdir', '/b', c]);
    expect(both.code).toBe(2);
  });

  it('accepts --storage-driver vfs|overlay and refuses others', async () => {
    const root = newRoot();
    expect((await ladingBuildah(root, ['--storage-driver', 'vfs', 'containers'])).code).toBe(0);
    expect(
      (await ladingBuildah(root, ['--storage-driver=overlay', '--runroot', '/nonexistent', 'images'])).code,
    ).toBe(0);
    const r = await ladingBuildah(root, ['--storage-driver', 'btrfs', 'images']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('btrfs');
  });
});

describe('working containers', () => {
  it('names containers as buildah does and refuses a taken --name', async () => {
    const root = newRoot();
    expect(await lb(root, ['from', 'scratch'])).toBe('working-container');
    expect(await lb(root, ['from', 'scratch'])).toBe('working-container-1');
    expect(await lb(root, ['from', '--name', 'mine', 'scratch'])).toBe('mine');
    const taken = await ladingBuildah(root, ['from', '--name', 'mine', 'scratch']);
    expect(taken.code).toBe(3);
    expect(taken.stderr).toContain('already in use');
    const list = await lb(root, ['containers', '--json']);
    expect((JSON.parse(list) as { containername: string }[]).map((c) => c.containername)).toEqual([
      'working-container',
      'working-container-1',
      'mine',
    ]);
    const table = await lb(root, ['containers']);
    expect(table.split('\n')[0]).toMatch(/^CONTAINER ID\s+BUILDER\s+IMAGE ID\s+IMAGE NAME\s+CONTAINER NAME$/);
    expect((await lb(root, ['containers', '-q'])).split('\n')).toHaveLength(3);
    expect(await lb(root, ['rm', 'mine'])).toMatch(/^[0-9a-f]{64}$/);
    expect((await lb(root, ['containers', '-q'])).split('\n')).toHaveLength(2);
    await lb(root, ['rm', '--all']);
    expect(await lb(root, ['containers', '-q'])).toBe('');
    const missing = await ladingBuildah(root, ['rm', 'nope']);
    expect(missing.code).toBe(4);
  });

  it("copy: a directory's contents, a file into a directory, a file under a new name; mount shows them", async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    await lb(root, ['copy', c, join(src, 'a.txt'), '/etc/']);
    await lb(root, ['copy', c, join(src, 'a.txt'), '/renamed.txt']);
    const mnt = await lb(root, ['mount', c]);
    expect(await readFile(join(mnt, 'app', 'a.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(mnt, 'app', 'sub', 'b.sh'), 'utf8')).toContain('echo b');
    expect(await readFile(join(mnt, 'etc', 'a.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(mnt, 'renamed.txt'), 'utf8')).toBe('hello\n');
    expect((await stat(join(mnt, 'app', 'a.txt'))).mtime.getTime()).toBe(pinned.getTime());
    const notFound = await ladingBuildah(root, ['copy', c, join(src, 'missing'), '/x']);
    expect(notFound.code).toBe(4);
    const badChmod = await ladingBuildah(root, ['copy', '--chmod', '9z', c, join(src, 'a.txt'), '/x']);
    expect(badChmod.code).toBe(2);
    const badChown = await ladingBuildah(root, ['copy', '--chown', 'nobody', c, join(src, 'a.txt'), '/x']);
    expect(badChown.code).toBe(3);
    expect(badChown.stderr).toContain('/etc/passwd');
  });

  it('from IMAGE: --pull=never, --pull-never and a bare --pull on a missing image; a bad name', async () => {
    const root = newRoot();
    for (const args of [
      ['--pull=never', 'missing-image'],
      ['--pull-never', 'missing-image'],
    ]) {
      const r = await ladingBuildah(root, ['from', ...args]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('missing-image');
    }
    // As pflag's optional value: `--pull never IMAGE` is two positionals.
    expect((await ladingBuildah(root, ['from', '--pull', 'never', 'missing-image'])).code).toBe(2);
    const badPolicy = await ladingBuildah(root, ['from', '--pull=sometimes', 'x']);
    expect(badPolicy.code).toBe(2);
    // A bare --pull takes no value: the image stays the positional argument (and is absent from this empty oci: dir).
    const bare = await ladingBuildah(root, ['from', '--pull', `oci:${join(tmp.path, 'no-such-layout')}`]);
    expect(bare.code).not.toBe(2);
    // no transport reads it and it is no image name: a usage error naming the transports
    const bad = await ladingBuildah(root, ['from', 'Upper/Case']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('oci-archive: dir: docker-archive: docker:// docker-daemon:');
    expect(await lb(root, ['containers', '-q'])).toBe('');
  });

  it('add: extracts local tar archives (plain, gzip, xz) safely; fetches a URL as a 0600 file; copy does not extract', async () => {
    const root = newRoot();
    const c = await lb(root, ['from', 'scratch']);
    const archive = join(tmp.path, `arch-${n}.tar`);
    await run('tar', ['-cf', archive, '-C', src, '.']);
    await run('sh', ['-c', `gzip -c '${archive}' > '${archive}.gz' && xz -c '${archive}' > '${archive}.xz'`]);
    await lb(root, ['add', c, archive, '/plain']);
    await lb(root, ['add', c, `${archive}.gz`, '/gz/']);
    await lb(root, ['add', c, `${archive}.xz`, '/xz']);
    await lb(root, ['copy', c, archive, '/copied.tar']);
    const mnt = await lb(root, ['mount', c]);
    for (const d of ['plain', 'gz', 'xz']) {
      expect(await readFile(join(mnt, d, 'sub', 'b.sh'), 'utf8')).toContain('echo b');
    }
    expect((await stat(join(mnt, 'copied.tar'))).isFile()).toBe(true);
    // An archive whose link leads out of the rootfs is refused, and nothing is written outside.
    const evil = join(tmp.path, `evil-${n}`);
    await mkdir(evil);
    await run('ln', ['-s', '/tmp', join(evil, 'out')]);
    const victim = `lading-buildah-evil-${process.pid}-${n}`;
    await run('sh', [
      '-c',
      `cd '${evil}' && tar -cf evil.tar out && mkdir x && echo pwned > x/${victim} && tar -rf evil.tar --transform 's,^x,out,' x/${victim}`,
    ]);
    const r = await ladingBuildah(root, ['add', c, join(evil, 'evil.tar'), '/e']);
    // Refused, or followed inside the rootfs (an absolute link is taken relative to the target): never outside.
    expect([0, 3]).toContain(r.code);
    expect(existsSync(join('/tmp', victim))).toBe(false);

    const port = await freePort();
    const server = createServer((req, res) => {
      if (req.url === '/files/data.txt') {
        res.writeHead(200, { 'last-modified': 'Sat, 03 Feb 2001 04:05:06 GMT' });
        res.end('from the web\n');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
    try {
      await lb(root, ['add', c, `http://127.0.0.1:${port}/files/data.txt`, '/web/']);
      const st = await stat(join(mnt, 'web', 'data.txt'));
      expect(st.mode & 0o7777).toBe(0o600);
      expect(st.mtime.getTime()).toBe(pinned.getTime());
      expect(await readFile(join(mnt, 'web', 'data.txt'), 'utf8')).toBe('from the web\n');
      const missing = await ladingBuildah(root, ['add', c, `http://127.0.0.1:${port}/nope`, '/web/']);
      expect(missing.code).toBe(4);
      expect(existsSync(join(mnt, 'web', 'nope'))).toBe(false);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('a DEST symlink that points outside stays inside the rootfs', async () => {
    const root = newRoot();
    const c = await lb(root, ['from', 'scratch']);
    const mnt = await lb(root, ['mount', c]);
    const outside = join(tmp.path, 'outside-target');
    await mkdir(outside, { recursive: true });
    await run('ln', ['-s', outside, join(mnt, 'escape')]);
    await lb(root, ['copy', c, join(src, 'a.txt'), '/escape/']);
    expect(existsSync(join(outside, 'a.txt'))).toBe(false);
    expect(existsSync(join(mnt, outside.slice(1), 'a.txt'))).toBe(true);
  });
});

describe('commit into local storage', () => {
  it('one uncompressed layer owned by root with the copied modes and times; config edits; image ID = config digest', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    await lb(root, ['copy', '--chmod', '600', '--chown', '12:34', c, join(src, 'a.txt'), '/secret.txt']);
    await lb(root, [
      'config',
      '--env',
      'A=1',
      '--env',
      'B=$A-x',
      '--cmd',
      'run "two words"',
      '--entrypoint',
      '["/bin/app"]',
      '--workingdir',
      '/app',
      '--user',
      '1000:1000',
      '--label',
      'l=v',
      '--port',
      '8080',
      '--annotation',
      'an=1',
      '--author',
      'me',
      '--created-by',
      'made by hand',
      c,
    ]);
    const r = await ladingBuildah(root, ['commit', '--timestamp', '1000000000', c, 'myimg']);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toContain('Getting image source signatures');
    expect(r.stderr).toContain('Writing manifest to image destination');
    const { record, manifest, config, layout } = await storedImage(root, id);
    expect(record.names).toEqual(['localhost/myimg:latest']);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(manifest.annotations?.an).toBe('1');
    const layerFile = join(layout, 'blobs', 'sha256', (manifest.layers[0]?.digest ?? '').slice(7));
    const listing = await tarListing(layerFile);
    // --timestamp pins every entry's time; copied files are root's unless --chown.
    expect(listing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^drwxr-xr-x 0\/0 +0 2001-09-09 01:46:40 app\/$/),
        expect.stringMatching(/^-rw-r--r-- 0\/0 +6 2001-09-09 01:46:40 app\/a.txt$/),
        expect.stringMatching(/^-rwxr-xr-x 0\/0 +.* app\/sub\/b.sh$/),
        expect.stringMatching(/^-rw------- 12\/34 +6 .* secret.txt$/),
      ]),
    );
    const diffId = `sha256:${createHash('sha256')
      .update(await readFile(layerFile))
      .digest('hex')}`;
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [diffId] });
    expect(config.created).toBe('2001-09-09T01:46:40Z');
    expect(config.author).toBe('me');
    expect(config.config).toMatchObject({
      Env: ['A=1', 'B=1-x'],
      Cmd: ['run', 'two words'],
      Entrypoint: ['/bin/app'],
      WorkingDir: '/app',
      User: '1000:1000',
      ExposedPorts: { '8080': {} },
      Labels: { l: 'v', 'dev.lading.buildah.version': expect.any(String) },
    });
    expect(config.history).toEqual([
      { created: '2001-09-09T01:46:40Z', created_by: 'made by hand', author: 'me' },
    ]);
  });

  it('--timestamp makes commits byte-identical across containers and roots', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const root = newRoot();
      const c = await scratchWithSrc(root);
      await lb(root, ['config', '--label', 'x=y', c]);
      ids.push(await lb(root, ['commit', '-q', '--timestamp', '1700000000', c]));
    }
    expect(ids[0]).toBe(ids[1]);
  });

  it('--iidfile, --rm, -q, --omit-history, --identity-label=false, --unsetenv, additional --tag names', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    await lb(root, ['config', '--env', 'KEEP=1', '--env', 'DROP=1', c]);
    const iid = join(tmp.path, `iid-${n}`);
    const r = await ladingBuildah(root, [
      'commit',
      '-q',
      '--rm',
      '--omit-history',
      '--identity-label=false',
      '--unsetenv',
      'DROP',
      '--iidfile',
      iid,
      '--tag',
      'other:1',
      c,
      'first',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const id = r.stdout.trim();
    expect(await readFile(iid, 'utf8')).toBe(`sha256:${id}`);
    expect(await lb(root, ['containers', '-q'])).toBe('');
    const { record, config } = await storedImage(root, id);
    expect(record.names).toEqual(['localhost/first:latest', 'localhost/other:1']);
    expect(config.history).toBeUndefined();
    expect(config.config.Labels).toBeUndefined();
    expect(config.config.Env).toEqual(['KEEP=1']);
  });

  it('compression: gzip with --disable-compression=false, zstd with --compression-format; bzip2 and xz refused', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const gz = await lb(root, ['commit', '-q', '--disable-compression=false', c]);
    const gzImage = await storedImage(root, gz);
    expect(gzImage.manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const gzFile = join(
      gzImage.layout,
      'blobs',
      'sha256',
      (gzImage.manifest.layers[0]?.digest ?? '').slice(7),
    );
    const unz = await run('sh', ['-c', `gzip -dc '${gzFile}' | sha256sum`]);
    expect(`sha256:${unz.stdout.split(' ')[0]}`).toBe(gzImage.config.rootfs.diff_ids[0]);
    const zs = await lb(root, [
      'commit',
      '-q',
      '--compression-format',
      'zstd',
      '--compression-level',
      '5',
      c,
    ]);
    const zsImage = await storedImage(root, zs);
    expect(zsImage.manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    for (const bad of ['bzip2', 'xz']) {
      const r = await ladingBuildah(root, ['commit', '--compression-format', bad, c]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('not supported');
    }
    const unknown = await ladingBuildah(root, ['commit', '--compression-format', 'lz4', c]);
    expect(unknown.code).toBe(2);
  });

  it('--source-date-epoch sets config and history times and clamps only later file times', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const mnt = await lb(root, ['mount', c]);
    const late = new Date('2030-01-01T00:00:00Z');
    await writeFile(join(mnt, 'late.txt'), 'late\n');
    await utimes(join(mnt, 'late.txt'), late, late);
    const id = await lb(root, ['commit', '-q', '--source-date-epoch', '1500000000', c]);
    const { manifest, config, layout } = await storedImage(root, id);
    expect(config.created).toBe('2017-07-14T02:40:00Z');
    expect(config.history[0].created).toBe('2017-07-14T02:40:00Z');
    const listing = await tarListing(
      join(layout, 'blobs', 'sha256', (manifest.layers[0]?.digest ?? '').slice(7)),
    );
    expect(listing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ 2001-02-03 04:05:06 app\/a.txt$/),
        expect.stringMatching(/ 2017-07-14 02:40:00 late.txt$/),
      ]),
    );
    const both = await ladingBuildah(root, ['commit', '--timestamp', '1', '--source-date-epoch', '2', c]);
    expect(both.code).toBe(2);
  });

  it('--format docker writes Docker media types and no manifest annotations', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const id = await lb(root, ['commit', '-q', '--format', 'docker', c]);
    const { manifest } = await storedImage(root, id);
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar');
    expect(manifest.annotations).toBeUndefined();
    expect((await ladingBuildah(root, ['commit', '--format', 'v1', c])).code).toBe(2);
    expect((await ladingBuildah(root, ['commit', '--timestamp', 'soon', c])).code).toBe(2);
  });

  it('from a local image: the next commit adds only the diff (with whiteouts) on top of the shared base layer', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const baseId = await lb(root, ['commit', '-q', '--timestamp', '1000', c, 'base']);
    const c2 = await lb(root, ['from', 'base']);
    expect(c2).toBe('base-working-container');
    const mnt = await lb(root, ['mount', c2]);
    expect(await readFile(join(mnt, 'app', 'a.txt'), 'utf8')).toBe('hello\n');
    await run('rm', [join(mnt, 'app', 'a.txt')]);
    await writeFile(join(mnt, 'new.txt'), 'new\n');
    await utimes(join(mnt, 'new.txt'), pinned, pinned);
    const id = await lb(root, ['commit', '-q', '--timestamp', '2000', c2, 'child']);
    const base = await storedImage(root, baseId);
    const child = await storedImage(root, id);
    expect(child.manifest.layers).toHaveLength(2);
    expect(child.manifest.layers[0]).toEqual(base.manifest.layers[0]);
    expect(child.manifest.annotations?.['org.opencontainers.image.base.name']).toBe('localhost/base:latest');
    const top = join(child.layout, 'blobs', 'sha256', (child.manifest.layers[1]?.digest ?? '').slice(7));
    const names = (await tarListing(top)).map((l) => l.split(' ').pop());
    expect(names).toContain('new.txt');
    expect(names).toContain('app/.wh.a.txt');
    expect(names).not.toContain('app/sub/b.sh');
    expect(child.config.history).toHaveLength(2);
    expect(child.config.rootfs.diff_ids[0]).toBe(base.config.rootfs.diff_ids[0]);
    // --squash: one layer with the whole tree.
    const sq = await storedImage(root, await lb(root, ['commit', '-q', '--squash', c2]));
    expect(sq.manifest.layers).toHaveLength(1);
    const sqFile = join(sq.layout, 'blobs', 'sha256', (sq.manifest.layers[0]?.digest ?? '').slice(7));
    const sqNames = (await tarListing(sqFile)).map((l) => l.split(' ').pop());
    expect(sqNames).toEqual(expect.arrayContaining(['app/sub/b.sh', 'new.txt']));
    expect(sqNames).not.toContain('app/a.txt');
  });
});
