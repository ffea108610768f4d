import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImageConfig, parseHistoryFromConfig, parseImageConfig } from '../src/index.js';

// The oracle is Go's encoding/json as used by real peers: a config they wrote must come back byte for byte when we
// parse it and encode it again (field order, omitempty, HTML escaping, time format).

async function configOfLayout(layout: string, tag: string): Promise<Uint8Array> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  const entry = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  const blob = (d: string) => join(layout, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(await readFile(blob(entry.digest), 'utf8'));
  return new Uint8Array(await readFile(blob(manifest.config.digest)));
}

// umoci writes with json.Encoder, which ends the text with a newline that json.Marshal does not write.
function expectSameBytes(original: Uint8Array, options: { trailingNewline?: boolean } = {}) {
  const again = encodeImageConfig(parseImageConfig(original));
  const want = new TextDecoder().decode(original);
  expect(new TextDecoder().decode(again) + (options.trailingNewline ? '\n' : '')).toBe(want);
}

describe.runIf(havePeers('umoci'))('configs written by umoci', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('lading-config-umoci-');
  });
  afterAll(async () => dir?.cleanup());

  it('re-encode byte for byte', async () => {
    const layout = join(dir.path, 'layout');
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:t`]);
    await run('umoci', [
      'config',
      '--image',
      `${layout}:t`,
      '--config.env',
      'A=<b>&c',
      '--config.cmd',
      'sh',
      '--config.entrypoint',
      '/init',
      '--config.label',
      'l=v',
      '--config.label',
      'b=1',
      '--config.label',
      '10=ten',
      '--config.label',
      'é=<&>',
      '--config.exposedports',
      '80/tcp',
      '--config.volume',
      '/data',
      '--config.workingdir',
      '/w',
      '--config.user',
      '1:1',
      '--author',
      'me <me@example.com>',
      '--history.created_by',
      'lading test',
    ]);
    const config = await configOfLayout(layout, 't');
    expect(new TextDecoder().decode(config)).toContain('\\u003cb\\u003e');
    expectSameBytes(config, { trailingNewline: true });
    expect(parseHistoryFromConfig(config)?.at(-1)?.created_by).toBe('lading test');
  });
});

describe.runIf(havePeers('buildah'))('configs written by buildah', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('lading-config-buildah-');
  });
  afterAll(async () => dir?.cleanup());

  it('re-encode byte for byte', async () => {
    const g = [
      '--storage-driver',
      'vfs',
      '--root',
      join(dir.path, 'root'),
      '--runroot',
      join(dir.path, 'run'),
    ];
    const ctr = (await run('buildah', [...g, 'from', '--name', 'c', 'scratch'])).stdout.trim();
    await run('buildah', [
      ...g,
      'config',
      '--env',
      'X=1<2',
      '--cmd',
      '["/bin/sh","-c","echo hi"]',
      '--label',
      'a=b',
      '--label',
      '9=nine',
      '--label',
      '10=ten',
      '--label',
      'Z=<&>',
      '--port',
      '8080',
      '--workingdir',
      '/srv',
      '--healthcheck',
      'CMD true',
      '--healthcheck-interval',
      '5s',
      '--stop-signal',
      'SIGINT',
      ctr,
    ]);
    const layout = join(dir.path, 'oci');
    await run('buildah', [...g, 'commit', '--format', 'oci', '--timestamp', '0', ctr, `oci:${layout}:t`]);
    expectSameBytes(await configOfLayout(layout, 't'));
  }, 120_000);
});
