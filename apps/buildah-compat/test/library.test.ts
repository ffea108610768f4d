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
