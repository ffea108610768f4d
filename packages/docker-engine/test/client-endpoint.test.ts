// Which daemon the client talks to: DOCKER_HOST, then the docker context (DOCKER_CONTEXT, config.json's
// currentContext) as the docker CLI itself writes them (the CLI is the oracle for the context store), then the
// default socket; TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodeFor, isLadingError, OptionError } from '@lading/digest';
import { havePeers, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerHost, resolveEngineEndpoint } from '../src/index.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-engine-endpoint-');
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('parseDockerHost', () => {
  const ok: [string, Record<string, unknown>][] = [
    ['unix:///var/run/docker.sock', { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['tcp://10.0.0.2:2375', { kind: 'tcp', host: '10.0.0.2', port: 2375, basePath: '' }],
    ['tcp://docker.example', { kind: 'tcp', host: 'docker.example', port: 2375 }],
    ['tcp://[::1]:2376/prefix/', { kind: 'tcp', host: '::1', port: 2376, basePath: '/prefix' }],
  ];
  it.each(ok)('%s', (host, want) => {
    expect(parseDockerHost(host, { source: 'DOCKER_HOST' })).toMatchObject(want);
  });

  it('TLS makes the default port 2376', () => {
    expect(parseDockerHost('tcp://h', { source: 'x', tls: { verify: true } })).toMatchObject({ port: 2376 });
  });

  const bad: [string, RegExp][] = [
    ['/var/run/docker.sock', /expected unix:\/\/\/PATH or tcp:\/\/HOST:PORT/],
    ['unix://', /no socket path/],
    ['ssh://me@host', /ssh:\/\/ is not supported by lading.*ssh -nNL/],
    ['npipe:////./pipe/docker_engine', /npipe:\/\/ is not supported/],
    ['tcp://user:pw@host:2375', /no user, query or fragment/],
    ['gopher://x', /unknown scheme gopher/],
  ];
  it.each(bad)('%s is an OptionError (exit 2) that says what to use', (host, message) => {
    const e = (() => {
      try {
        return parseDockerHost(host, { source: 'DOCKER_HOST' });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(OptionError);
    expect(exitCodeFor(e)).toBe(2);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain('pw@');
  });
});

describe('resolveEngineEndpoint', () => {
  it('DOCKER_HOST wins over DOCKER_CONTEXT and the config', async () => {
    const e = await resolveEngineEndpoint({
      env: { DOCKER_HOST: 'unix:///tmp/a.sock', DOCKER_CONTEXT: 'nope', DOCKER_CONFIG: tmp.path },
    });
    expect(e).toMatchObject({ kind: 'unix', socketPath: '/tmp/a.sock', source: 'DOCKER_HOST' });
  });

  it('DOCKER_TLS_VERIFY reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH and verifies', async () => {
    const certs = join(tmp.path, 'certs');
    mkdirSync(certs, { recursive: true });
    writeFileSync(join(certs, 'ca.pem'), 'CA');
    writeFileSync(join(certs, 'cert.pem'), 'CERT');
    writeFileSync(join(certs, 'key.pem'), 'KEY');
    const e = await resolveEngineEndpoint({
      env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
    });
    expect(e.kind === 'tcp' && e.port).toBe(2376);
    const tls = e.kind === 'tcp' ? e.tls : undefined;
    expect(tls?.verify).toBe(true);
    expect(Buffer.from(tls?.ca ?? []).toString()).toBe('CA');
    expect(Buffer.from(tls?.key ?? []).toString()).toBe('KEY');
    // DOCKER_CERT_PATH alone: TLS without verification (moby's client)
    const unverified = await resolveEngineEndpoint({
      env: { DOCKER_HOST: 'tcp://h:1', DOCKER_CERT_PATH: certs },
    });
    expect(unverified.kind === 'tcp' && unverified.tls?.verify).toBe(false);
  });

  it('a cert without its key is refused', async () => {
    const certs = join(tmp.path, 'half');
    mkdirSync(certs, { recursive: true });
    writeFileSync(join(certs, 'cert.pem'), 'CERT');
    const e = await resolveEngineEndpoint({
      env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
    }).catch((x: unknown) => x);
    expect(isLadingError(e) && e.code).toBe('ENGINE_TLS_INCOMPLETE');
  });

  it('no DOCKER_HOST and no context: the default socket', async () => {
    const e = await resolveEngineEndpoint({ env: { DOCKER_CONFIG: join(tmp.path, 'empty') } });
    expect(e).toMatchObject({ socketPath: '/var/run/docker.sock', source: 'the default socket' });
  });

  it('a context that does not exist is a NotFoundError naming it', async () => {
    const e = await resolveEngineEndpoint({
      env: { DOCKER_CONFIG: join(tmp.path, 'empty'), DOCKER_CONTEXT: 'ghost' },
    }).catch((x: unknown) => x);
    expect(isLadingError(e) && e.code).toBe('DOCKER_CONTEXT_NOT_FOUND');
    expect(exitCodeFor(e)).toBe(4);
    expect((e as Error).message).toContain('docker context "ghost" not found');
  });

  describe.runIf(havePeers('docker'))('contexts made by the docker CLI', () => {
    let config: string;
    const docker = (args: string[]) =>
      run('docker', args, { env: { ...process.env, DOCKER_CONFIG: config } });
    beforeAll(async () => {
      config = join(tmp.path, 'cli');
      mkdirSync(config, { recursive: true });
      await docker(['context', 'create', 'lading-a', '--docker', 'host=unix:///run/lading-a.sock']);
      await docker(['context', 'create', 'lading-b', '--docker', 'host=tcp://10.1.2.3:2375']);
    });

    it('DOCKER_CONTEXT names one', async () => {
      const e = await resolveEngineEndpoint({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'lading-b' } });
      expect(e).toMatchObject({
        kind: 'tcp',
        host: '10.1.2.3',
        port: 2375,
        source: 'docker context "lading-b"',
      });
      expect(e.kind === 'tcp' && e.tls).toBeUndefined();
    });

    it('`docker context use` makes it current', async () => {
      await docker(['context', 'use', 'lading-a']);
      const e = await resolveEngineEndpoint({ env: { DOCKER_CONFIG: config } });
      expect(e).toMatchObject({
        kind: 'unix',
        socketPath: '/run/lading-a.sock',
        source: 'docker context "lading-a"',
      });
      await docker(['context', 'use', 'default']);
      const back = await resolveEngineEndpoint({ env: { DOCKER_CONFIG: config } });
      expect(back.source).toBe('the default socket');
    });
  });
});
