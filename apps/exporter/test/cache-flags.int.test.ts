// The cache flags lading checks before any work: a malformed --cache-to or --cache-from is a usage error (exit 2),
// and Go's bool spellings are read as BuildKit reads them.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-cache-flags-');
});
afterAll(async () => dir?.cleanup());

/** A fresh store per call. */
let stores = 0;
const env = () => ({ LADING_STORE: join(dir.path, `store-${++stores}`) });

describe('malformed cache flags are usage errors (exit 2), before any work', () => {
  const cases: [string[], string][] = [
    [['--cache-from', 'type=s3,bucket=x'], '--cache-from type=s3: use local or registry'],
    [['--cache-to', 'type=gha'], '--cache-to type=gha: use local or registry'],
    [['--cache-from', 'type=inline'], '--cache-from type=inline: use local or registry'],
    [['--cache-from', 'type=local'], '--cache-from type=local needs src=DIR'],
    [['--cache-to', 'type=local'], '--cache-to type=local needs dest=DIR'],
    [['--cache-from', 'type=registry'], '--cache-from type=registry needs ref=REGISTRY/REPO:TAG'],
    [['--cache-from', 'src=x'], 'type=... is required'],
    [['--cache-to', 'type=local,dest=c,mode=all'], 'mode="all" is not min or max'],
    [
      ['--cache-to', 'type=local,dest=c,oci-mediatypes=yes'],
      'non-bool value specified for oci-mediatypes: strconv.ParseBool: parsing "yes": invalid syntax',
    ],
    [['--cache-to', 'type=local,dest=c,image-manifest=true,oci-mediatypes=false'], 'needs OCI media types'],
    [['--cache-to', 'type=local,dest=c,compression=brotli'], 'compression="brotli" is not gzip'],
    [
      ['--cache-to', 'type=local,dest=c,ignore-error=maybe'],
      'non-bool value specified for ignore-error: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
    [['--cache-from', 'type=registry,ref=Bad/Name:1'], 'cache ref Bad/Name:1'],
    [
      ['--cache-from', 'type=registry,ref=r/c:1,registry.insecure=si'],
      'type=registry,ref=r/c:1,registry.insecure=si: non-bool value specified for registry.insecure: strconv.ParseBool: parsing "si"',
    ],
    [['--cache-from', 'type=local,src=c,digest=sha256:nope'], 'digest=sha256:nope is not a digest'],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}: ${message}`, async () => {
      const r = await lading(['export', helloRootfs, '-o', 'type=oci,dest=never.tar', ...args], {
        cwd: dir.path,
        env: env(),
      });
      expect(r.code).toBe(2);
      // the error in one line, then where to read the usage (as docker's `See 'docker run --help'.`)
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toContain(message);
      expect(lines.at(-1)).toBe('See: lading export --help');
      for (const between of lines.slice(1, -1)) expect(between).toMatch(/^ {2}caused by: /);
      expect((await readdir(dir.path)).includes('never.tar')).toBe(false);
    });
  }

  it('Go’s bool spellings are accepted (strconv.ParseBool), as BuildKit reads them', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '-o',
        'type=oci,dest=bools.tar',
        '--cache-to',
        'type=local,dest=bool-cache,oci-mediatypes=True,image-manifest=0,ignore-error=F',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const index = JSON.parse(await readFile(join(dir.path, 'bool-cache', 'index.json'), 'utf8'));
    expect(index.manifests[0].mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });
});
