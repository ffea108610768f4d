import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type FullStore, readBlob, writeBlob } from '@lading/content-store';
import { type Descriptor, type Digest, parseDigest } from '@lading/digest';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageSource, type RemoteReference, readImage, writeImage } from '../src/transports/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const enc = new TextEncoder();

interface BuiltImage {
  readonly manifest: Descriptor;
  readonly manifestBytes: Uint8Array;
  readonly config: Descriptor;
  readonly diffId: Digest;
  readonly layerTar: Uint8Array;
}

let tmp: TempDir;
let policyPath: string;

/**
 * A one-layer image made without lading's writers: GNU tar and gzip make the layer, the test hashes it, the config
 * and manifest are JSON written here. Everything goes into `store` as plain blobs.
 */
async function buildImage(store: FullStore, name: string, arch: string): Promise<BuiltImage> {
  const root = join(tmp.path, `tree-${name}-${arch}`);
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'hello'), `hello from ${name} on ${arch}\n`);
  for (const p of [join(root, 'etc', 'hello'), join(root, 'etc'), root])
    await utimes(p, 1_000_000, 1_000_000);
  const tarPath = join(tmp.path, `layer-${name}-${arch}.tar`);
  await run('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-C',
    root,
    '-cf',
    tarPath,
    '.',
  ]);
  await run('gzip', ['-n', '-k', '-f', tarPath]);
  const layerTar = new Uint8Array(await readFile(tarPath));
  const gz = new Uint8Array(await readFile(`${tarPath}.gz`));
  const diffId = sha256(layerTar);
  const configBytes = enc.encode(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: `test ${name}` }],
    }),
  );
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: sha256(configBytes),
    size: configBytes.byteLength,
  };
  const layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256(gz),
    size: gz.byteLength,
  };
  const manifestBytes = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [layer],
    }),
  );
  await writeBlob(store, configBytes);
  await writeBlob(store, gz);
  await writeBlob(store, manifestBytes);
  return {
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifestBytes),
      size: manifestBytes.byteLength,
    },
    manifestBytes,
    config,
    diffId,
    layerTar,
  };
}

let store: FullStore;
let image: BuiltImage;
let arm: BuiltImage;
let index: { desc: Descriptor; bytes: Uint8Array };

async function skopeo(...args: string[]): Promise<string> {
  return (await run('skopeo', ['--policy', policyPath, ...args])).stdout;
}

function source(manifest: Descriptor = image.manifest): ImageSource {
  return { store, manifest };
}

const opts = () => ({ policyPath, platform: { os: 'linux', architecture: 'amd64' } });

beforeAll(async () => {
  tmp = await makeTempDir('lading-transports-');
  policyPath = join(tmp.path, 'policy.json');
  await writeFile(policyPath, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  store = createMemoryStore();
  image = await buildImage(store, 'one', 'amd64');
  arm = await buildImage(store, 'one', 'arm64');
  const bytes = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...image.manifest, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm.manifest, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    }),
  );
  await writeBlob(store, bytes);
  index = {
    desc: {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: sha256(bytes),
      size: bytes.byteLength,
    },
    bytes,
  };
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe.runIf(havePeers('skopeo', 'tar'))('push to each file transport, read by skopeo', () => {
  it('oci: keeps the manifest bytes and names the image in index.json', async () => {
    const dir = join(tmp.path, 'oci-out');
    const r = await writeImage({ transport: 'oci', dir, ref: 'v1' }, source(), opts());
    expect(r.manifestDigest).toBe(image.manifest.digest);
    expect(await skopeo('inspect', '--raw', `oci:${dir}:v1`)).toBe(
      new TextDecoder().decode(image.manifestBytes),
    );
    const inspected = JSON.parse(await skopeo('inspect', `oci:${dir}:v1`)) as {
      Layers: string[];
      Architecture: string;
    };
    expect(inspected.Architecture).toBe('amd64');
    // a second write under the same name replaces the entry; another name adds one
    await writeImage({ transport: 'oci', dir, ref: 'v1' }, source(), opts());
    await writeImage({ transport: 'oci', dir, ref: 'v2' }, source(arm.manifest), opts());
    const idx = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    expect(idx.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort()).toEqual([
      'v1',
      'v2',
    ]);
    expect(await skopeo('inspect', '--raw', `oci:${dir}:v2`)).toBe(
      new TextDecoder().decode(arm.manifestBytes),
    );
  });

  it('oci-archive: a tar of a layout skopeo reads', async () => {
    const file = join(tmp.path, 'out.oci.tar');
    await writeImage({ transport: 'oci-archive', file, ref: 'latest' }, source(), opts());
    expect(await skopeo('inspect', '--raw', `oci-archive:${file}:latest`)).toBe(
      new TextDecoder().decode(image.manifestBytes),
    );
    expect(await skopeo('inspect', '--raw', `oci-archive:${file}`)).toBe(
      new TextDecoder().decode(image.manifestBytes),
    );
  });

  it('dir: version file, manifest.json and blobs by hex, as containers/image lays them out', async () => {
    const dir = join(tmp.path, 'dir-out');
    await writeImage({ transport: 'dir', dir }, source(), opts());
    expect(await readFile(join(dir, 'version'), 'utf8')).toBe('Directory Transport Version: 1.1\n');
    expect(await skopeo('inspect', '--raw', `dir:${dir}`)).toBe(
      new TextDecoder().decode(image.manifestBytes),
    );
    const names = (await readdir(dir)).sort();
    expect(names).toContain(image.config.digest.slice(7));
    // overwriting a dir: image is allowed; a directory with other data is refused and left alone
    await writeImage({ transport: 'dir', dir }, source(arm.manifest), opts());
    expect(await skopeo('inspect', '--raw', `dir:${dir}`)).toBe(new TextDecoder().decode(arm.manifestBytes));
    expect(await readdir(dir)).not.toContain(image.config.digest.slice(7));
    const precious = join(tmp.path, 'precious');
    await mkdir(precious);
    await writeFile(join(precious, 'notes.txt'), 'keep me');
    await expect(writeImage({ transport: 'dir', dir: precious }, source(), opts())).rejects.toThrow(
      /not a containers image directory, don't want to overwrite important data/,
    );
    expect(await readdir(precious)).toEqual(['notes.txt']);
  });

  it('docker-archive: docker save format with uncompressed layers, read by skopeo', async () => {
    const file = join(tmp.path, 'out.docker.tar');
    await writeImage({ transport: 'docker-archive', file, ref: 'docker.io/example/app:1' }, source(), opts());
    const inspected = JSON.parse(await skopeo('inspect', `docker-archive:${file}`)) as { Layers: string[] };
    // skopeo reports each layer by the digest of the file in the archive: the uncompressed tar, i.e. the diffID
    expect(inspected.Layers).toEqual([image.diffId]);
    const listing = (await run('tar', ['-tf', file])).stdout.split('\n');
    expect(listing).toContain('manifest.json');
    expect(listing).toContain('repositories');
    expect(listing).toContain(`${image.diffId.slice(7)}.tar`);
    const manifestJson = JSON.parse((await run('tar', ['-xOf', file, 'manifest.json'])).stdout) as {
      RepoTags: string[];
      Config: string;
    }[];
    expect(manifestJson[0]?.RepoTags).toEqual(['docker.io/example/app:1']);
    // the config travels byte for byte
    const cfg = (await run('tar', ['-xOf', file, manifestJson[0]?.Config ?? ''])).stdout;
    expect(sha256(enc.encode(cfg))).toBe(image.config.digest);
    // and skopeo can copy it on into a layout whose layer unpacks to the same tar
    await skopeo('copy', `docker-archive:${file}`, `oci:${join(tmp.path, 'from-da')}:x`);
    // the first image by index, as containers/image's FILE:@N
    const into = createMemoryStore();
    const byIndex = await readImage({ transport: 'docker-archive', file, ref: '@0' }, into, opts());
    expect(JSON.parse(new TextDecoder().decode(await readBlob(into, byIndex.manifest))).config.digest).toBe(
      image.config.digest,
    );
    await expect(
      readImage({ transport: 'docker-archive', file, ref: '@1' }, into, opts()),
    ).rejects.toMatchObject({ kind: 'not-found' });
    // an archive is written once: an existing one is not replaced (containers/image refuses the same way)
    const before = await readFile(file);
    await expect(
      writeImage({ transport: 'docker-archive', file }, source(arm.manifest), opts()),
    ).rejects.toThrow("docker-archive doesn't support modifying existing images");
    expect(await readFile(file)).toEqual(before);
  });

  it('--format v2s2 gives Docker media types (skopeo inspect --raw)', async () => {
    const dir = join(tmp.path, 'dir-v2s2');
    await writeImage({ transport: 'dir', dir }, source(), { ...opts(), format: 'v2s2' });
    const raw = JSON.parse(await skopeo('inspect', '--raw', `dir:${dir}`)) as {
      mediaType: string;
      config: Descriptor;
      layers: Descriptor[];
    };
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(raw.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(raw.layers[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    // blobs are unchanged: only the media types differ
    expect(raw.config.digest).toBe(image.config.digest);
    // an OCI layout given a Docker image without --format gets OCI types back (it takes OCI only)
    const back = join(tmp.path, 'oci-from-docker');
    const { provider, root } = await import('@lading/transports').then((m) => m.readDirImage(dir));
    await writeImage({ transport: 'oci', dir: back, ref: 'x' }, { store: provider, manifest: root }, opts());
    expect(await skopeo('inspect', '--raw', `oci:${back}:x`)).toBe(
      new TextDecoder().decode(image.manifestBytes),
    );
  });

  it('a list: --all keeps the index; otherwise the requested platform is chosen', async () => {
    const dir = join(tmp.path, 'oci-all');
    await writeImage({ transport: 'oci', dir, ref: 'all' }, source(index.desc), { ...opts(), all: true });
    expect(await skopeo('inspect', '--raw', `oci:${dir}:all`)).toBe(new TextDecoder().decode(index.bytes));
    // reading the list back: one platform unless all
    const into = createMemoryStore();
    const picked = await readImage({ transport: 'oci', dir, ref: 'all' }, into, {
      policyPath,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(picked.manifest.digest).toBe(arm.manifest.digest);
    await expect(into.info(image.config.digest)).rejects.toMatchObject({ kind: 'not-found' });
    const whole = await readImage({ transport: 'oci', dir, ref: 'all' }, into, { ...opts(), all: true });
    expect(await readBlob(into, whole.manifest)).toEqual(index.bytes);
    const one = await writeImage({ transport: 'oci', dir, ref: 'arm' }, source(index.desc), {
      policyPath,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(one.manifestDigest).toBe(arm.manifest.digest);
    const dirAll = join(tmp.path, 'dir-all');
    await writeImage({ transport: 'dir', dir: dirAll }, source(index.desc), { ...opts(), all: true });
    expect(await readdir(dirAll)).toContain(`${image.manifest.digest.slice(7)}.manifest.json`);
    // a list converted to Docker types: a manifest list whose children are Docker manifests; skopeo copies it all
    const dirList = join(tmp.path, 'dir-list-v2s2');
    await writeImage({ transport: 'dir', dir: dirList }, source(index.desc), {
      ...opts(),
      all: true,
      format: 'v2s2',
    });
    const list = JSON.parse(await skopeo('inspect', '--raw', `dir:${dirList}`)) as {
      mediaType: string;
      manifests: Descriptor[];
    };
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(list.manifests.map((m) => [m.mediaType, m.platform?.architecture])).toEqual([
      ['application/vnd.docker.distribution.manifest.v2+json', 'amd64'],
      ['application/vnd.docker.distribution.manifest.v2+json', 'arm64'],
    ]);
    for (const m of list.manifests) {
      const child = new Uint8Array(await readFile(join(dirList, `${m.digest.slice(7)}.manifest.json`)));
      expect(sha256(child)).toBe(m.digest);
    }
    await skopeo('copy', '--all', `dir:${dirList}`, `oci:${join(tmp.path, 'list-copied')}:l`);
    await expect(
      writeImage({ transport: 'docker-archive', file: join(tmp.path, 'x.tar') }, source(index.desc), {
        ...opts(),
        all: true,
      }),
    ).rejects.toThrow(/single image/);
  });

  it.runIf(havePeers('zstd'))('compression zstd recompresses layers; the diffID stays', async () => {
    const dir = join(tmp.path, 'oci-zstd');
    await writeImage({ transport: 'oci', dir, ref: 'z' }, source(), { ...opts(), compression: 'zstd' });
    const raw = JSON.parse(await skopeo('inspect', '--raw', `oci:${dir}:z`)) as {
      layers: Descriptor[];
      config: Descriptor;
    };
    const layer = raw.layers[0] as Descriptor;
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(raw.config.digest).toBe(image.config.digest);
    const blob = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    expect(sha256(new Uint8Array(await readFile(blob)))).toBe(layer.digest);
    const out = join(tmp.path, 'layer.from-zstd.tar');
    await run('zstd', ['-d', '-q', '-f', blob, '-o', out]);
    expect(sha256(new Uint8Array(await readFile(out)))).toBe(image.diffId);
  });
});

describe.runIf(havePeers('skopeo', 'tar'))('round trips and images skopeo wrote', () => {
  const cases: [string, () => RemoteReference][] = [
    ['oci', () => ({ transport: 'oci', dir: join(tmp.path, 'rt-oci'), ref: 'rt' })],
    ['oci-archive', () => ({ transport: 'oci-archive', file: join(tmp.path, 'rt.tar'), ref: 'rt' })],
    ['dir', () => ({ transport: 'dir', dir: join(tmp.path, 'rt-dir') })],
  ];
  for (const [name, ref] of cases) {
    it(`${name}: write then read gives the byte-identical manifest`, async () => {
      await writeImage(ref(), source(), opts());
      const into = createMemoryStore();
      const { manifest } = await readImage(ref(), into, opts());
      expect(manifest.digest).toBe(image.manifest.digest);
      expect(await readBlob(into, manifest)).toEqual(image.manifestBytes);
      const layer = (JSON.parse(new TextDecoder().decode(image.manifestBytes)) as { layers: Descriptor[] })
        .layers[0] as Descriptor;
      expect((await into.info(layer.digest)).size).toBe(layer.size);
    });
  }

  it('reads what skopeo wrote to oci-archive:, dir: and docker-archive:', async () => {
    const src = join(tmp.path, 'skopeo-src');
    await writeImage({ transport: 'oci', dir: src, ref: 's' }, source(), opts());
    const targets: [string, RemoteReference][] = [
      [
        `oci-archive:${join(tmp.path, 'sk.oci.tar')}:s`,
        { transport: 'oci-archive', file: join(tmp.path, 'sk.oci.tar'), ref: 's' },
      ],
      [`dir:${join(tmp.path, 'sk-dir')}`, { transport: 'dir', dir: join(tmp.path, 'sk-dir') }],
      [
        `docker-archive:${join(tmp.path, 'sk.docker.tar')}:example/sk:2`,
        { transport: 'docker-archive', file: join(tmp.path, 'sk.docker.tar'), ref: 'docker.io/example/sk:2' },
      ],
    ];
    for (const [dest, ref] of targets) {
      await skopeo('copy', `oci:${src}:s`, dest);
      const into = createMemoryStore();
      const { manifest } = await readImage(ref, into, opts());
      const raw = await readBlob(into, manifest);
      const theirs = await skopeo('inspect', '--raw', dest);
      if (ref.transport === 'docker-archive') {
        // containers/image labels every docker-archive layer .tar.gzip even when it is a plain tar; lading names
        // the compression the bytes have, so only the blobs are compared
        const t = JSON.parse(theirs) as { config: Descriptor; layers: Descriptor[] };
        const o = JSON.parse(new TextDecoder().decode(raw)) as { config: Descriptor; layers: Descriptor[] };
        expect(o.config.digest).toBe(t.config.digest);
        expect(o.layers.map((l) => [l.digest, l.size])).toEqual(t.layers.map((l) => [l.digest, l.size]));
        expect(o.layers[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar');
      } else {
        expect(raw).toEqual(enc.encode(theirs));
      }
      const m = JSON.parse(new TextDecoder().decode(raw)) as { config: Descriptor; layers: Descriptor[] };
      expect(m.config.digest).toBe(image.config.digest);
      for (const l of m.layers) expect(sha256(await readBlob(into, l, { maxBytes: 1 << 30 }))).toBe(l.digest);
    }
  });

  it('a docker-archive written by lading reads back with the same config and diffIDs', async () => {
    const file = join(tmp.path, 'rt.docker.tar');
    await writeImage({ transport: 'docker-archive', file }, source(), opts());
    const into = createMemoryStore();
    const { manifest } = await readImage({ transport: 'docker-archive', file }, into, opts());
    const m = JSON.parse(new TextDecoder().decode(await readBlob(into, manifest))) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    expect(m.config.digest).toBe(image.config.digest);
    expect(m.layers.map((l) => l.digest)).toEqual([image.diffId]);
    expect(await readBlob(into, m.layers[0] as Descriptor, { maxBytes: 1 << 30 })).toEqual(image.layerTar);
  });

  it('a digest mismatch in a source is an IntegrityError and nothing is stored under the bad digest', async () => {
    const dir = join(tmp.path, 'corrupt-oci');
    await writeImage({ transport: 'oci', dir, ref: 'c' }, source(), opts());
    const layer = (JSON.parse(new TextDecoder().decode(image.manifestBytes)) as { layers: Descriptor[] })
      .layers[0] as Descriptor;
    const blob = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = new Uint8Array(await readFile(blob));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await rm(blob);
    await writeFile(blob, bytes);
    const into = createMemoryStore();
    await expect(readImage({ transport: 'oci', dir, ref: 'c' }, into, opts())).rejects.toMatchObject({
      kind: 'integrity',
    });
    await expect(into.info(layer.digest)).rejects.toThrow();
  });
});

describe('nothing half-written on error', () => {
  it('a missing source blob leaves oci-archive:, dir: and a new oci: target absent', async () => {
    const partial = createMemoryStore();
    await writeBlob(partial, image.manifestBytes);
    await writeBlob(partial, await readBlob(store, image.config));
    // the layer is missing from `partial`
    const src = { store: partial, manifest: image.manifest };
    const file = join(tmp.path, 'half.oci.tar');
    await expect(writeImage({ transport: 'oci-archive', file }, src, opts())).rejects.toThrow();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const dir = join(tmp.path, 'half-dir');
    await expect(writeImage({ transport: 'dir', dir }, src, opts())).rejects.toThrow();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const layout = join(tmp.path, 'half-oci');
    await expect(writeImage({ transport: 'oci', dir: layout, ref: 'x' }, src, opts())).rejects.toThrow();
    await expect(stat(layout)).rejects.toMatchObject({ code: 'ENOENT' });
    const da = join(tmp.path, 'half.docker.tar');
    await expect(writeImage({ transport: 'docker-archive', file: da }, src, opts())).rejects.toThrow();
    await expect(stat(da)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(tmp.path)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a policy that rejects the source stops the write before anything is written', async () => {
    const rejecting = join(tmp.path, 'reject.json');
    await writeFile(rejecting, JSON.stringify({ default: [{ type: 'reject' }] }));
    const file = join(tmp.path, 'rejected.tar');
    await expect(
      writeImage(
        { transport: 'oci-archive', file },
        { ...source(), reference: { transport: 'containers-storage', name: 'app:1' } },
        {
          policyPath: rejecting,
        },
      ),
    ).rejects.toThrow('Source image rejected: Running image containers-storage:app:1 is rejected by policy.');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe.runIf(havePeers('skopeo', 'docker-registry'))('docker:// on a real registry', () => {
  it('push with --tls-verify=false, skopeo reads the same bytes, and it reads back', async () => {
    const registry = await startRegistry();
    try {
      const ref = `docker://${registry.host}/lading/transports:1`;
      const { parseImageReference } = await import('../src/transports/index.js');
      const dest = parseImageReference(ref) as RemoteReference;
      await writeImage(dest, source(), { ...opts(), tlsVerify: false, retry: 1 });
      expect(await skopeo('inspect', '--tls-verify=false', '--raw', ref)).toBe(
        new TextDecoder().decode(image.manifestBytes),
      );
      await writeImage(
        parseImageReference(`docker://${registry.host}/lading/transports:list`) as RemoteReference,
        source(index.desc),
        {
          ...opts(),
          tlsVerify: false,
          all: true,
        },
      );
      expect(
        await skopeo(
          'inspect',
          '--tls-verify=false',
          '--raw',
          `docker://${registry.host}/lading/transports:list`,
        ),
      ).toBe(new TextDecoder().decode(index.bytes));
      await writeImage(
        parseImageReference(`docker://${registry.host}/lading/transports:v2s2`) as RemoteReference,
        source(),
        {
          ...opts(),
          tlsVerify: false,
          format: 'v2s2',
        },
      );
      const raw = JSON.parse(
        await skopeo(
          'inspect',
          '--tls-verify=false',
          '--raw',
          `docker://${registry.host}/lading/transports:v2s2`,
        ),
      ) as {
        mediaType: string;
      };
      expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
      const into = createMemoryStore();
      const { manifest } = await readImage(dest, into, { ...opts(), tlsVerify: false });
      expect(await readBlob(into, manifest)).toEqual(image.manifestBytes);
      expect(parseDigest(manifest.digest)).toBe(image.manifest.digest);
    } finally {
      await registry.stop();
    }
  });
});

describe.runIf(havePeers('buildah', 'skopeo', 'tar'))(
  'buildah reads what lading writes, and the other way round',
  () => {
    // buildah names a pulled layout after its path, and image names must be lowercase: a lowercase work dir
    let low: string;
    beforeAll(async () => {
      low = join(tmpdir(), `lading-buildah-interop-${randomBytes(6).toString('hex')}`);
      await mkdir(low);
    });
    afterAll(async () => {
      if (low) await rm(low, { recursive: true, force: true });
    });
    const buildah = async (...args: string[]) =>
      (
        await run('buildah', [
          '--root',
          join(low, 'buildah-root'),
          '--runroot',
          join(low, 'buildah-run'),
          '--storage-driver',
          'vfs',
          ...args,
        ])
      ).stdout.trim();

    it('buildah pulls our oci:, oci-archive:, dir: and docker-archive: images (image ID = our config digest)', async () => {
      const targets: [RemoteReference, string][] = [
        [{ transport: 'oci', dir: join(low, 'b-oci'), ref: 'b' }, `oci:${join(low, 'b-oci')}:b`],
        [{ transport: 'oci-archive', file: join(low, 'b.oci.tar') }, `oci-archive:${join(low, 'b.oci.tar')}`],
        [{ transport: 'dir', dir: join(low, 'b-dir') }, `dir:${join(low, 'b-dir')}`],
        [
          { transport: 'docker-archive', file: join(low, 'b.docker.tar'), ref: 'docker.io/example/b:1' },
          `docker-archive:${join(low, 'b.docker.tar')}`,
        ],
      ];
      for (const [ref, name] of targets) {
        await writeImage(ref, source(), opts());
        const id = await buildah('pull', '-q', '--signature-policy', policyPath, name);
        expect(id, name).toBe(image.config.digest.slice(7));
      }
    });

    it('we read what buildah push wrote to oci-archive:, dir: and docker-archive:', async () => {
      await writeImage({ transport: 'oci', dir: join(low, 'b-src'), ref: 'src' }, source(), opts());
      await buildah('pull', '-q', '--signature-policy', policyPath, `oci:${join(low, 'b-src')}:src`);
      const targets: [string, RemoteReference][] = [
        [
          `oci-archive:${join(low, 'bp.oci.tar')}:p`,
          { transport: 'oci-archive', file: join(low, 'bp.oci.tar'), ref: 'p' },
        ],
        [`dir:${join(low, 'bp-dir')}`, { transport: 'dir', dir: join(low, 'bp-dir') }],
        [
          `docker-archive:${join(low, 'bp.docker.tar')}:example/bp:1`,
          { transport: 'docker-archive', file: join(low, 'bp.docker.tar') },
        ],
      ];
      for (const [dest, ref] of targets) {
        await buildah('push', '-q', '--signature-policy', policyPath, image.config.digest.slice(7), dest);
        const into = createMemoryStore();
        const { manifest } = await readImage(ref, into, opts());
        const m = JSON.parse(new TextDecoder().decode(await readBlob(into, manifest))) as {
          config: Descriptor;
          layers: Descriptor[];
        };
        const config = JSON.parse(new TextDecoder().decode(await readBlob(into, m.config))) as {
          rootfs: { diff_ids: string[] };
        };
        expect(config.rootfs.diff_ids, dest).toEqual([image.diffId]);
        if (ref.transport !== 'docker-archive') {
          expect(await readBlob(into, manifest)).toEqual(enc.encode(await skopeo('inspect', '--raw', dest)));
        }
      }
    });
  },
);
