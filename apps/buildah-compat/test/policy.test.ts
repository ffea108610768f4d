import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, PolicyRejectedError, parsePolicy } from '../src/policy/index.js';
import { type ImageReference, parseImageReference } from '../src/transports/index.js';

let tmp: TempDir;
let n = 0;

beforeAll(async () => {
  tmp = await makeTempDir('lading-policy-');
});
afterAll(async () => {
  await tmp?.cleanup();
});

async function policyFile(policy: unknown): Promise<string> {
  const path = join(tmp.path, `policy-${n++}.json`);
  await writeFile(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return path;
}

async function decide(policy: unknown, ref: ImageReference | string): Promise<string> {
  const ctx = await loadPolicy(await policyFile(policy));
  try {
    await ctx.check(typeof ref === 'string' ? parseImageReference(ref) : ref);
    return 'allowed';
  } catch (error) {
    if (error instanceof PolicyRejectedError) return error.code;
    throw error;
  }
}

const accept = [{ type: 'insecureAcceptAnything' }];
const reject = [{ type: 'reject' }];

describe('requirements', () => {
  it('insecureAcceptAnything allows, reject refuses with containers/image message', async () => {
    expect(await decide({ default: accept }, 'docker://busybox')).toBe('allowed');
    const ctx = await loadPolicy(await policyFile({ default: reject }));
    await expect(ctx.check(parseImageReference('docker://busybox'))).rejects.toThrow(
      'Source image rejected: Running image docker://busybox:latest is rejected by policy.',
    );
    await expect(ctx.check(parseImageReference('oci:/srv/images:app'))).rejects.toThrow(
      'Source image rejected: Running image oci:/srv/images:app is rejected by policy.',
    );
    await expect(ctx.check(parseImageReference('dir:/srv/d'))).rejects.toThrow(
      'Source image rejected: Running image dir:/srv/d is rejected by policy.',
    );
    await expect(ctx.check(parseImageReference('app:1'))).rejects.toBeInstanceOf(PolicyRejectedError);
  });

  for (const type of ['signedBy', 'sigstoreSigned', 'signedBaseLayer']) {
    it(`${type} is refused as unverifiable without the image, never accepted silently`, async () => {
      const req =
        type === 'sigstoreSigned'
          ? { type, keyPath: '/k.pub' }
          : { type, keyType: 'GPGKeys', keyPath: '/k.gpg' };
      expect(await decide({ default: [req] }, 'docker://busybox')).toBe('POLICY_SIGNATURE_UNVERIFIABLE');
      // every requirement must allow: an accept beside it does not help
      expect(await decide({ default: [...accept, req] }, 'docker://busybox')).toBe(
        'POLICY_SIGNATURE_UNVERIFIABLE',
      );
      const ctx = await loadPolicy(await policyFile({ default: [req] }));
      await expect(ctx.check(parseImageReference('docker://busybox'))).rejects.toThrow(
        new RegExp(
          `requires a "${type}" signature for docker://busybox:latest, and lading-buildah (could not read the image|does not evaluate signedBaseLayer)`,
        ),
      );
    });
  }

  it('requirements are evaluated in order: the first refusal speaks', async () => {
    expect(
      await decide(
        { default: [{ type: 'reject' }, { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k' }] },
        'docker://a',
      ),
    ).toBe('POLICY_REJECTED');
  });
});

describe('scopes', () => {
  it('docker: identity, then repository, then namespaces, then host wildcards, then "" of the transport, then default', async () => {
    const scopes = (entries: Record<string, unknown>) => ({
      default: reject,
      transports: { docker: entries },
    });
    const ref = 'docker://registry.example.com/team/app:1';
    expect(
      await decide(
        scopes({ 'registry.example.com/team/app:1': accept, 'registry.example.com/team/app': reject }),
        ref,
      ),
    ).toBe('allowed');
    expect(await decide(scopes({ 'registry.example.com/team/app:2': accept }), ref)).toBe('POLICY_REJECTED');
    expect(
      await decide(
        scopes({ 'registry.example.com/team/app': accept, 'registry.example.com/team': reject }),
        ref,
      ),
    ).toBe('allowed');
    expect(
      await decide(scopes({ 'registry.example.com/team': accept, 'registry.example.com': reject }), ref),
    ).toBe('allowed');
    expect(await decide(scopes({ 'registry.example.com': accept, '*.example.com': reject }), ref)).toBe(
      'allowed',
    );
    expect(await decide(scopes({ '*.example.com': accept, '': reject }), ref)).toBe('allowed');
    expect(await decide(scopes({ '': accept }), ref)).toBe('allowed');
    expect(await decide(scopes({ 'other.example.com': accept }), ref)).toBe('POLICY_REJECTED');
    // a wildcard names subdomains without the port
    expect(await decide(scopes({ '*.example.com': accept }), 'docker://registry.example.com:5000/app')).toBe(
      'allowed',
    );
    expect(await decide(scopes({ '*.example.com': accept }), 'docker://example.com/app')).toBe(
      'POLICY_REJECTED',
    );
    // Docker Hub names are normalised before matching
    expect(await decide(scopes({ 'docker.io/library/busybox': accept }), 'docker://busybox')).toBe('allowed');
    // another transport's entries never apply
    expect(await decide({ default: reject, transports: { oci: { '': accept } } }, 'docker://busybox')).toBe(
      'POLICY_REJECTED',
    );
  });

  it('oci and dir: the directory, then its parents, then ""', async () => {
    const p = (transport: string, entries: Record<string, unknown>) => ({
      default: reject,
      transports: { [transport]: entries },
    });
    // the ref name is not part of the identity (containers/image: DIR and DIR:name may be the same image)
    expect(
      await decide(p('oci', { '/srv/images/app': accept, '/srv/images': reject }), 'oci:/srv/images/app:v1'),
    ).toBe('allowed');
    expect(await decide(p('oci', { '/srv/images/app:v1': accept }), 'oci:/srv/images/app:v1')).toBe(
      'POLICY_REJECTED',
    );
    expect(await decide(p('oci', { '/srv/images': accept, '': reject }), 'oci:/srv/images/app:v1')).toBe(
      'allowed',
    );
    expect(await decide(p('oci', { '/srv': reject, '': accept }), 'oci:/srv/images/app')).toBe(
      'POLICY_REJECTED',
    );
    expect(await decide(p('dir', { '/srv/d': accept }), 'dir:/srv/d')).toBe('allowed');
    expect(await decide(p('dir', { '/srv': accept }), 'dir:/srv/d/e')).toBe('allowed');
    expect(await decide(p('oci-archive', { '/srv/a.tar': accept }), 'oci-archive:/srv/a.tar')).toBe(
      'allowed',
    );
    // docker-archive has no scopes: only its "" entry or the default
    expect(await decide(p('docker-archive', { '': accept }), 'docker-archive:/srv/x.tar')).toBe('allowed');
  });

  it('containers-storage: names normalised, a store prefix on the scope is ignored', async () => {
    const p = (entries: Record<string, unknown>) => ({
      default: reject,
      transports: { 'containers-storage': entries },
    });
    expect(await decide(p({ 'docker.io/library/app:1': accept }), 'app:1')).toBe('allowed');
    expect(
      await decide(p({ '[vfs@/var/lib/containers/storage]docker.io/library/app': accept }), 'app:1'),
    ).toBe('allowed');
    expect(await decide(p({ '': accept }), { transport: 'containers-storage', name: '' })).toBe('allowed');
  });
});

describe('policy files', () => {
  it('refuses what containers/image refuses, naming the file', async () => {
    const cases: [unknown, RegExp][] = [
      ['{', /invalid policy in ".*": /],
      [{ transports: {} }, /Default policy is missing/],
      [{ default: [] }, /List of verification policy requirements must not be empty/],
      [{ default: accept, extra: 1 }, /Unknown key "extra"/],
      [{ default: [{ type: 'acceptIfSunny' }] }, /Unknown policy requirement type "acceptIfSunny"/],
      [{ default: [{ type: 'reject', keyPath: '/x' }] }, /Unknown key "keyPath"/],
      [
        { default: accept, transports: { oci: { 'relative/dir': accept } } },
        /Invalid scope relative\/dir: must be an absolute path/,
      ],
      [
        { default: accept, transports: { dir: { '/': accept } } },
        /Invalid scope "\/": Use the generic default scope ""/,
      ],
      [
        { default: accept, transports: { dir: { '/a/../b': accept } } },
        /non-canonical path format, perhaps try with path \/b/,
      ],
      [
        { default: accept, transports: { 'docker-archive': { '/x.tar': accept } } },
        /does not support any scopes except the default "" one/,
      ],
    ];
    for (const [policy, message] of cases) {
      const path = await policyFile(policy);
      await expect(loadPolicy(path)).rejects.toMatchObject({ kind: 'invalid-input', code: 'POLICY_INVALID' });
      await expect(loadPolicy(path)).rejects.toThrow(message);
    }
    expect(() =>
      parsePolicy(
        '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"unknown-transport":{"x":[{"type":"reject"}]}}}',
      ),
    ).not.toThrow();
  });

  it('--signature-policy, else $HOME/.config/containers/policy.json, else the system file; missing is an error', async () => {
    const home = join(tmp.path, 'home');
    const system = await policyFile({ default: reject });
    const ref = parseImageReference('docker://busybox');
    // no user file: the system policy applies
    await expect((await loadPolicy(undefined, { home, systemPath: system })).check(ref)).rejects.toThrow(
      /rejected by policy/,
    );
    await mkdir(join(home, '.config', 'containers'), { recursive: true });
    await writeFile(join(home, '.config', 'containers', 'policy.json'), JSON.stringify({ default: accept }));
    await (await loadPolicy(undefined, { home, systemPath: system })).check(ref);
    // an explicit path beats both
    await expect((await loadPolicy(system, { home })).check(ref)).rejects.toThrow(/rejected by policy/);
    const missing = join(tmp.path, 'nowhere', 'policy.json');
    await expect(loadPolicy(missing)).rejects.toMatchObject({ kind: 'not-found', code: 'POLICY_NOT_FOUND' });
    await expect(loadPolicy(missing)).rejects.toThrow(`open ${missing}: no such file or directory`);
    await expect(
      loadPolicy(undefined, { home: join(tmp.path, 'nohome'), systemPath: missing }),
    ).rejects.toThrow(/no such file or directory/);
  });
});

describe.runIf(havePeers('skopeo', 'umoci'))('decisions agree with skopeo on the same policy', () => {
  it('oci path scopes and the default, as skopeo copy evaluates its source', async () => {
    const layout = join(tmp.path, 'layouts', 'app');
    await mkdir(join(tmp.path, 'layouts'), { recursive: true });
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:v1`]);
    const policies: unknown[] = [
      { default: accept },
      { default: reject },
      { default: reject, transports: { oci: { [`${layout}:v1`]: accept } } },
      { default: reject, transports: { oci: { [`${layout}:v2`]: accept } } },
      { default: accept, transports: { oci: { [layout]: reject, [`${layout}:v1`]: accept } } },
      { default: accept, transports: { oci: { [join(tmp.path, 'layouts')]: reject } } },
      { default: reject, transports: { oci: { '': accept } } },
      {
        default: accept,
        transports: { oci: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/nonexistent.gpg' }] } },
      },
    ];
    for (const [i, policy] of policies.entries()) {
      const path = await policyFile(policy);
      const theirs = await run(
        'skopeo',
        ['--policy', path, 'copy', `oci:${layout}:v1`, `dir:${join(tmp.path, `sk-${i}`)}`],
        {
          allowFailure: true,
        },
      );
      const ours = await decide(policy, `oci:${layout}:v1`);
      expect({ i, allowed: ours === 'allowed' }).toEqual({ i, allowed: theirs.code === 0 });
      if (ours === 'POLICY_REJECTED')
        expect(theirs.stderr).toContain(`Running image oci:${layout}:v1 is rejected by policy.`);
    }
  });
});
