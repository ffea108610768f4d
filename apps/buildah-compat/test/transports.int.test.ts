import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, readBlob } from '@lading/content-store';
import type { Descriptor } from '@lading/digest';
import { havePeers, run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { type RemoteReference, readImage, writeImage } from '../src/transports/index.js';
import {
  arm,
  enc,
  image,
  index,
  opts,
  policyPath,
  sha256,
  skopeo,
  source,
  tmp,
  useTransportFixture,
} from './transports-fixture.js';

useTransportFixture();

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
    await expect(into.info(layer.digest)).rejects.toMatchObject({
      kind: 'not-found',
      code: 'BLOB_NOT_FOUND',
    });
  });
});
