// issue 19 bug 2: `lading copy` and `lading inspect` take lading-buildah's transports (one implementation,
// @lading/transports); an unknown transport or a name that is no image name is a usage error naming the known
// ones, and nothing lands in the store. Expectations are computed here over the bytes the test wrote, or read from
// the files the copy produced (tar's view of the archive), never from lading's own output.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyConfig, handWrittenLayout, lading, sha256 } from './helpers.js';

let dir: TempDir;
let layout: string;
let config: string;
beforeEach(async () => {
  dir = await makeTempDir('lading-transports-');
  config = emptyConfig({ config: { Env: ['T=1'] } });
  layout = await handWrittenLayout(join(dir.path, 'layout'), config);
});
afterEach(async () => dir.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });
const cwd = () => dir.path;

describe('lading copy/inspect through the transports of lading-buildah', () => {
  it('an unknown transport or a bad name is exit 2, names the transports, and stores nothing', async () => {
    for (const dest of ['foo://x', 'Foo/Bar', 'ostree:x']) {
      const r = await lading(['copy', `oci:${layout}:base`, dest], { cwd: cwd(), env: env() });
      expect(r.code, dest).toBe(2);
      expect(r.stderr, dest).toContain('oci-archive: dir: docker-archive: docker:// docker-daemon:');
    }
    const ls = await lading(['ls', '--json'], { cwd: cwd(), env: env() });
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const push = await lading(['push', 'Foo/Bar', 'docker://127.0.0.1:1/x:1'], { cwd: cwd(), env: env() });
    expect(push.code).toBe(2);
  });

  it('docker-archive: is written as docker save writes it, not stored as a name', async () => {
    const r = await lading(['copy', `oci:${layout}:base`, 'docker-archive:./x.tar:app:1'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    const { stdout } = await promisify(execFile)('tar', ['-xOf', join(dir.path, 'x.tar'), 'manifest.json']);
    const [item] = JSON.parse(stdout) as { Config: string; RepoTags: string[] }[];
    expect(item?.RepoTags).toEqual([expect.stringMatching(/(^|\/)app:1$/)]);
    // the config travels byte for byte: its file is named by the digest of the bytes written above
    expect(item?.Config).toContain(sha256(config).slice('sha256:'.length));
    const ls = await lading(['ls', '--json'], { cwd: cwd(), env: env() });
    expect(JSON.parse(ls.stdout)).toEqual([]);
    // and lading inspect reads the archive back
    const i = await lading(['inspect', 'docker-archive:./x.tar', '--format', '{{json .OCIv1.config.Env}}'], {
      cwd: cwd(),
      env: env(),
    });
    expect(i.stderr).toBe('');
    expect(i.stdout).toBe('["T=1"]\n');
  });

  it('dir: and back keeps the manifest bytes; oci-archive: reads back through inspect --raw', async () => {
    const manifestBytes = await (async () => {
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
      return readFile(join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8');
    })();
    expect((await lading(['copy', `oci:${layout}:base`, 'dir:./d'], { cwd: cwd(), env: env() })).code).toBe(
      0,
    );
    expect(await readFile(join(dir.path, 'd', 'manifest.json'), 'utf8')).toBe(manifestBytes);
    expect(await readdir(join(dir.path, 'd'))).toContain(sha256(config).slice('sha256:'.length));
    const back = await lading(['copy', 'dir:./d', 'oci-archive:./o.tar:1'], { cwd: cwd(), env: env() });
    expect(back.stderr).not.toContain('Error');
    expect(back.code).toBe(0);
    const raw = await lading(['inspect', 'oci-archive:./o.tar:1', '--raw'], { cwd: cwd(), env: env() });
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe(manifestBytes);
  });
});
