// issue 19 item 7: push and copy to a registry print one line per blob in --progress plain, and what the registry
// already has is marked CACHED, as BuildKit marks cache hits. The blobs expected are skopeo's view of the layout.
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyConfig, handWrittenLayout, lading } from './helpers.js';

describe.runIf(havePeers('skopeo', 'docker-registry'))('progress of a push', () => {
  let dir: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let layout: string;
  let config: { digest: string; size: number };

  beforeAll(async () => {
    dir = await makeTempDir('lading-push-progress-');
    registry = await startRegistry();
    layout = await handWrittenLayout(join(dir.path, 'layout'), emptyConfig({ config: { Env: ['P=1'] } }));
    config = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${layout}:base`])).stdout).config;
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  it('names each blob pushed, then CACHED when the registry has it; --progress rawjson is accepted', async () => {
    const dest = `docker://${registry.host}/lading/progress:1`;
    const env = { LADING_STORE: join(dir.path, 'store') };
    const first = await lading(['push', `oci:${layout}:base`, dest, '--insecure', '--progress', 'plain'], {
      env,
    });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`${config.digest}: pushed (${config.size} bytes)`);
    const again = await lading(['push', `oci:${layout}:base`, dest, '--insecure', '--progress', 'rawjson'], {
      env,
    });
    expect(again.stderr).not.toContain('--progress');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${config.digest}: CACHED`);
    const quiet = await lading(['push', `oci:${layout}:base`, dest, '--insecure', '--progress', 'quiet'], {
      env,
    });
    expect(quiet.stderr).toBe('');
  });
});
