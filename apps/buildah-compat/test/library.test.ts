import { createHash } from 'node:crypto';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  commitContainer,
  configureContainer,
  copyIntoContainer,
  createWorkingContainer,
  normalizeImageName,
  Storage,
} from '../src/index.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-buildah-lib-');
});
afterAll(async () => tmp?.cleanup());

it('the operations work as a library: from, copy, config, commit; the ID is the config digest', async () => {
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'f'), 'f\n');
  await utimes(join(src, 'f'), new Date(0), new Date(0));
  const storage = await Storage.open(join(tmp.path, 'root'));
  const c = await createWorkingContainer(storage, 'scratch', { name: 'lib' });
  await copyIntoContainer(storage, c, [src], '/data');
  await configureContainer(storage, c, { env: ['X=1'], labels: ['a=b'] });
  const lines: string[] = [];
  const result = await commitContainer(storage, c, 'lib-image', {
    timestamp: 0,
    report: (l) => lines.push(l),
  });
  const configBytes = await readFile(
    join(tmp.path, 'root', 'blobs', 'blobs', 'sha256', result.config.digest.slice(7)),
  );
  expect(createHash('sha256').update(configBytes).digest('hex')).toBe(result.id);
  expect(JSON.parse(configBytes.toString()).config.Env).toEqual(['X=1']);
  expect(lines[0]).toBe('Getting image source signatures');
  expect((await storage.getImage('lib-image')).names).toEqual([normalizeImageName('lib-image')]);
  expect(normalizeImageName('quay.io/a/b')).toBe('quay.io/a/b:latest');
  expect(normalizeImageName('a/b@sha256:' + '0'.repeat(64))).toBe(`localhost/a/b@sha256:${'0'.repeat(64)}`);
  expect(() => normalizeImageName('Bad Name')).toThrow(/invalid image name/);
});

it("configureContainer: buildah's removal forms and '' clears, the ports kept as written (buildah 1.28 stores them so)", async () => {
  const storage = await Storage.open(join(tmp.path, 'root-edits'));
  const c = await createWorkingContainer(storage, 'scratch', { name: 'edits' });
  await configureContainer(storage, c, {
    env: ['A=1', 'B=2', 'C=$A$B'],
    labels: ['x=1', 'y=2'],
    ports: ['80', '8080/udp', '9000-9001'],
    volumes: ['/v1', '/v2'],
    user: 'u',
    workingDir: '/w',
  });
  await configureContainer(storage, c, {
    env: ['B-'],
    labels: ['x-'],
    ports: ['80-', '8080/udp-'],
    volumes: ['/v1-'],
    user: '',
    workingDir: '',
  });
  const saved = (await storage.getContainer('edits')).config.config;
  // What real buildah printed for the same two `buildah config` calls (OCIv1.config of `buildah inspect`).
  expect(saved).toEqual({
    Env: ['A=1', 'C=12'],
    Labels: { y: '2' },
    ExposedPorts: { '9000-9001': {} },
    Volumes: { '/v2': {} },
  });
  await expect(configureContainer(storage, c, { ports: ['http-'] })).rejects.toMatchObject({
    kind: 'option',
    code: 'PORT_INVALID',
  });
  await expect(configureContainer(storage, c, { labels: ['novalue'] })).rejects.toMatchObject({
    kind: 'option',
    code: 'KEY_VALUE_INVALID',
  });
});
