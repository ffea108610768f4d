// Every error path of the export options and the store commands, through the whole CLI: the exit code of DESIGN §6
// and the message (BuildKit's and moby's exact text where they have one), and nothing written on a usage error.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePlugin, helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-options-');
  await writeFile(join(dir.path, 'bad.json'), '{');
  await writeFile(join(dir.path, 'null.json'), 'null');
  await writeFile(join(dir.path, 'array.json'), '[]');
  // a layout holding two images and no way to choose one
  const two = join(dir.path, 'two');
  await mkdir(two, { recursive: true });
  await writeFile(join(two, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const m = (d: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: 1 });
  await writeFile(
    join(two, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [m(`sha256:${'a'.repeat(64)}`), m(`sha256:${'b'.repeat(64)}`)],
    }),
  );
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') });

const out = 'type=oci,dest=never.tar';
const cases: [string, string[], number, string][] = [
  // type=moby (moby's builder/builder-next/exporter/export.go): each name is parsed as a normalised reference
  [
    'moby name not lowercase',
    ['-o', 'type=moby,"name=ok,UPPER/Case"'],
    2,
    'the repository name "Case" must be lowercase',
  ],
  ['moby name with a bad tag', ['-o', 'type=moby,name=app:bad tag'], 2, 'invalid name "app:bad tag"'],
  // type=image (BuildKit's exporter/containerimage/export.go)
  ['image push without a name', ['-o', 'type=image,push=true'], 2, 'push needs a name'],
  [
    'image compression',
    ['-o', 'type=image,compression=brotli'],
    2,
    'unsupported layer compression type: brotli',
  ],
  [
    'image compression-level out of range',
    ['-o', 'type=image,compression=gzip,compression-level=10'],
    2,
    'out of range',
  ],
  ['image compression-level not a number', ['-o', 'type=image,compression-level=max'], 2, 'non-integer'],
  [
    'image unpack not a bool',
    ['-o', 'type=image,name=a,unpack=yes please'],
    2,
    'non-bool value specified for unpack',
  ],
  [
    'image oci-mediatypes not a bool',
    ['-o', 'type=image,oci-mediatypes=2'],
    2,
    'non-bool value specified for oci-mediatypes',
  ],
  [
    'image name-canonical not a bool',
    ['-o', 'type=image,name=a,name-canonical=x'],
    2,
    'non-bool value specified for name-canonical',
  ],
  [
    'image push-by-digest not a bool',
    ['-o', 'type=image,name=a,push-by-digest=x'],
    2,
    'non-bool value specified for push-by-digest',
  ],
  [
    'image registry.insecure not a bool',
    ['-o', 'type=image,name=a,registry.insecure=x'],
    2,
    'non-bool value specified for registry.insecure',
  ],
  ['image store not a bool', ['-o', 'type=image,name=a,store=x'], 2, 'non-bool value specified for store'],
  ['image annotation key empty', ['-o', 'type=image,annotation.=v'], 2, 'expected annotation['],
  [
    'image index annotations on one platform',
    ['-o', 'type=image,oci-mediatypes=true,annotation-index.k=v'],
    2,
    'index annotations not supported for single platform export',
  ],
  ['image source-date-epoch', ['-o', 'type=image,source-date-epoch=soon'], 2, 'invalid source-date-epoch'],
  // type=oci / type=docker
  [
    'two outputs on stdout',
    ['-o', 'type=oci', '-o', '-'],
    2,
    'multiple outputs configured to write to stdout',
  ],
  ['oci dir without dest', ['-o', 'type=oci,tar=false'], 2, 'type=oci,tar=false needs dest=DIR'],
  [
    'docker tar=false',
    ['-o', 'type=docker,tar=false,dest=d'],
    2,
    'type=docker writes a tarball only: drop tar=false or use type=oci',
  ],
  ['oci tar not a bool', ['-o', 'type=oci,tar=nah,dest=x'], 2, 'non-bool value specified for tar'],
  // the --output grammar
  ['output unterminated quote', ['-o', 'type=image,"name=a'], 2, 'unterminated quote'],
  ['output bare quote', ['-o', 'type=image,na"me=a'], 2, 'bare " in a field'],
  ['output field without =', ['-o', 'type=image,push'], 2, 'expected KEY=VALUE'],
  ['output type empty', ['-o', 'type=,dest=x'], 2, 'type=... is required'],
  // flags
  ['--compression', ['--compression', 'lz4', '-o', out], 2, 'unsupported layer compression type: lz4'],
  [
    '--compression-level',
    ['--compression-level', 'fast', '-o', out],
    2,
    '--compression-level fast: not a number',
  ],
  ['--diff without a colon', ['--diff', 'lower', '-o', out], 2, '--diff "lower": expected LOWER:UPPER'],
  ['--diff with an empty side', ['--diff', 'lower:', '-o', out], 2, 'expected LOWER:UPPER'],
  ['--label without =', ['--label', 'novalue', '-o', out], 2, '--label "novalue": expected KEY=VALUE'],
  ['--entrypoint bad JSON', ['--entrypoint', '["a"', '-o', out], 2, '--entrypoint ["a": not a JSON array'],
  ['--cmd not strings', ['--cmd', '[1]', '-o', out], 2, '--cmd [1]: expected a JSON array of strings'],
  ['--platform', ['--platform', 'a/b/c/d', '-o', out], 3, 'invalid platform "a/b/c/d"'],
  ['--epoch', ['--epoch=-5', '-o', out], 3, 'invalid epoch'],
  // config JSON (moby's builder/builder-next/exporter/mobyexporter/writer.go: a null config is refused)
  ['--config not JSON', ['--config', 'bad.json', '-o', out], 3, 'image config is not valid JSON'],
  ['--config null', ['--config', 'null.json', '-o', out], 3, 'null image config'],
  ['--config an array', ['--config', 'array.json', '-o', out], 3, 'must be a JSON object'],
  ['--config missing', ['--config', 'missing.json', '-o', out], 4, '--config missing.json: cannot read it'],
  // inputs
  [
    'a directory that does not exist',
    ['no-such-dir', '-o', out],
    4,
    'directory no-such-dir: it does not exist',
  ],
  [
    '--tarball that does not exist',
    ['--tarball', 'no.tgz', '-o', out],
    4,
    '--tarball no.tgz: it does not exist',
  ],
  ['--tarball that is a directory', ['--tarball', 'two', '-o', out], 2, '--tarball two: not a file'],
  ['--diff side missing', ['--diff', 'two:nowhere', '-o', out], 4, '--diff nowhere: it does not exist'],
  ['--base with two images and no tag', ['--base', 'oci:two', '-o', out], 4, 'holds 2 images'],
  ['--base with an unknown tag', ['--base', 'oci:two:v9', '-o', out], 4, 'no image named "v9"'],
  // plugins
  [
    'a plugin exporter named like a built-in',
    ['--exporter-plugin', examplePlugin, '-o', 'type=summarx,dest=x'],
    2,
    'unknown output type "summarx"',
  ],
];

describe('lading export option errors', () => {
  it.each(cases)('%s', async (_label, args, code, message) => {
    const needsInput = !args.some(
      (a) => a === '--config' || a === '--diff' || a === '--tarball' || a === '--base' || a === 'no-such-dir',
    );
    const r = await lading(['export', ...(needsInput ? [helloRootfs] : []), ...args], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
    expect(await readdir(dir.path)).not.toContain('never.tar');
  });
});

describe('store commands: usage and not-found errors', () => {
  const store: [string[], number, string][] = [
    [['tag'], 2, 'lading tag needs SOURCE and at least one NAME'],
    [['tag', 'only-source'], 2, 'lading tag needs SOURCE and at least one NAME'],
    [['tag', 'nosuch', 'other'], 4, 'no image named "nosuch" in the store'],
    [['rm'], 2, 'lading rm needs at least one NAME'],
    [['inspect'], 2, 'lading inspect takes one IMAGE'],
    [['push'], 2, 'lading push takes IMAGE and an optional DEST'],
    [['push', 'oci:./x:1'], 2, 'needs DEST (docker://REF)'],
    [['copy', 'a'], 2, 'lading copy takes SOURCE and DEST'],
    [['copy', 'a', 'b', 'c'], 2, 'lading copy takes SOURCE and DEST'],
    [['copy', 'oci:no-layout:1', 'oci:l2:1'], 4, 'no image 1 in'],
    [['copy', 'nosuch', 'oci:l2:1'], 4, 'no image named "nosuch"'],
    [['copy', 'x', 'y', '--format', 'v1'], 2, '--format v1: use oci, docker or keep'],
  ];
  it.each(store)('%j exits %i', async (args, code, message) => {
    const r = await lading(args, { cwd: dir.path, env: env() });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
  });
});

describe('progress of a layer build', () => {
  it('--progress json reports the layer bytes; quiet prints nothing on stderr', async () => {
    const json = await lading(['export', helloRootfs, '-o', 'type=oci,dest=p.tar', '--progress', 'json'], {
      cwd: dir.path,
      env: env(),
    });
    expect(json.code).toBe(0);
    const events = json.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; id?: string; current?: number });
    const bytes = events.filter((e) => e.event === 'bytes' && e.id === 'layer 0');
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes[0]?.current).toBeGreaterThan(0);
    const quiet = await lading(['export', helloRootfs, '-o', 'type=oci,dest=q.tar', '--progress', 'quiet'], {
      cwd: dir.path,
      env: env(),
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
