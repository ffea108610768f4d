import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { defaultAuthFiles, normalizeAuthKey, resolveCredentials } from './credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('resolveCredentials', () => {
  it('reads auths entries (auth, username/password, identitytoken), matching keys written as URLs', async () => {
    await using dir = await makeTempDir();
    const file = join(dir.path, 'config.json');
    await writeFile(
      file,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
          'reg.example:5000': { username: 'u', password: 'p' },
          'https://tok.example/v2/': { auth: b64('someone:'), identitytoken: 'refresh-me' },
        },
      }),
    );
    const opts = { authFiles: [file] };
    expect(await resolveCredentials('docker.io', opts)).toEqual({
      username: 'hubuser',
      password: 'hub:pass',
    });
    expect(await resolveCredentials('reg.example:5000', opts)).toEqual({ username: 'u', password: 'p' });
    expect(await resolveCredentials('tok.example', opts)).toEqual({
      username: 'someone',
      identityToken: 'refresh-me',
    });
    expect(await resolveCredentials('other.example', opts)).toBeUndefined();
  });

  it('prefers the first auth file that knows the host (REGISTRY_AUTH_FILE before Docker config)', async () => {
    await using dir = await makeTempDir();
    const authFile = join(dir.path, 'auth.json');
    const dockerDir = join(dir.path, 'docker');
    await mkdir(dockerDir);
    await writeFile(authFile, JSON.stringify({ auths: { 'r.example': { auth: b64('containers:one') } } }));
    await writeFile(
      join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: { 'r.example': { auth: b64('docker:two') }, 'd.example': { auth: b64('docker:three') } },
      }),
    );
    const env = { REGISTRY_AUTH_FILE: authFile, DOCKER_CONFIG: dockerDir, HOME: dir.path };
    expect(defaultAuthFiles(env)[0]).toBe(authFile);
    expect(await resolveCredentials('r.example', { env })).toEqual({
      username: 'containers',
      password: 'one',
    });
    expect(await resolveCredentials('d.example', { env })).toEqual({ username: 'docker', password: 'three' });
  });

  it('asks credHelpers before credsStore before auths, and treats "credentials not found" as none', async () => {
    await using dir = await makeTempDir();
    const bin = join(dir.path, 'bin');
    await mkdir(bin);
    const helper = async (name: string, body: string) => {
      const p = join(bin, `docker-credential-${name}`);
      await writeFile(p, `#!/bin/sh\nread server\n${body}\n`);
      await chmod(p, 0o755);
    };
    await helper('special', `printf '{"ServerURL":"%s","Username":"special","Secret":"s1"}' "$server"`);
    await helper(
      'store',
      `case "$server" in store.example) printf '{"Username":"<token>","Secret":"idtok"}';; *) echo "credentials not found in native keychain"; exit 1;; esac`,
    );
    const file = join(dir.path, 'config.json');
    await writeFile(
      file,
      JSON.stringify({
        credsStore: 'store',
        credHelpers: { 'special.example': 'special' },
        auths: { 'special.example': { auth: b64('no:no') }, 'plain.example': { auth: b64('plain:pw') } },
      }),
    );
    const env = { PATH: `${bin}:${process.env.PATH}` };
    expect(await resolveCredentials('special.example', { authFiles: [file], env })).toEqual({
      username: 'special',
      password: 's1',
    });
    expect(await resolveCredentials('store.example', { authFiles: [file], env })).toEqual({
      identityToken: 'idtok',
    });
    // the store knows nothing: fall back to auths
    expect(await resolveCredentials('plain.example', { authFiles: [file], env })).toEqual({
      username: 'plain',
      password: 'pw',
    });
  });

  it('reports a failing helper without its output, and a broken file with its path', async () => {
    await using dir = await makeTempDir();
    const bin = join(dir.path, 'bin');
    await mkdir(bin);
    const p = join(bin, 'docker-credential-leaky');
    await writeFile(p, '#!/bin/sh\necho "the secret is hunter2" >&2\nexit 3\n');
    await chmod(p, 0o755);
    const file = join(dir.path, 'config.json');
    await writeFile(file, JSON.stringify({ credsStore: 'leaky' }));
    const err = await resolveCredentials('x.example', {
      authFiles: [file],
      env: { PATH: `${bin}:${process.env.PATH}` },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'registry', code: 'CREDENTIAL_HELPER' });
    expect((err as Error).message).not.toContain('hunter2');
    const bad = join(dir.path, 'bad.json');
    await writeFile(bad, '{not json');
    await expect(resolveCredentials('x.example', { authFiles: [bad] })).rejects.toMatchObject({
      kind: 'invalid-input',
    });
  });

  it('uses explicit credentials as they are', async () => {
    expect(
      await resolveCredentials('any.example', { credentials: { registryToken: 't' }, authFiles: [] }),
    ).toEqual({ registryToken: 't' });
  });

  it('normalizes auth keys', () => {
    expect(normalizeAuthKey('https://Index.Docker.io/v1/')).toBe('index.docker.io');
    expect(normalizeAuthKey('reg:5000/path')).toBe('reg:5000');
  });
});
