import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@lading/digest';
import {
  havePeers,
  type PeerSetup,
  type RunningDockerd,
  run,
  setUpPeer,
  startDockerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalConfig } from '../src/operations/write-image.js';
import { lading } from './helpers.js';

// BuildKit inside dockerd is the judge of the config bytes: each Dockerfile below is built by it
// (`POST /build?version=2`), saved with `docker save`, and its config and layer tars are fed to lading, whose
// moby export (the config digest, which is the image ID) must be BuildKit's image ID, byte for byte.

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Saved {
  /** BuildKit's image ID, as `docker image inspect` reports it. */
  readonly id: string;
  readonly configPath: string;
  readonly config: Uint8Array;
  readonly layerPaths: readonly string[];
}

interface Case {
  readonly name: string;
  readonly tag: string;
  /** The image it is built FROM, when it has one (saved too, as an OCI layout, for the --base form). */
  readonly base?: string;
  readonly dockerfile: string;
  readonly files?: Readonly<Record<string, string>>;
}

const cases: readonly Case[] = [
  {
    name: 'every config instruction, RUN, <>& and non-ASCII',
    tag: 'judge/all:1',
    base: 'judge/busybox:1',
    dockerfile: [
      'FROM judge/busybox:1',
      'ARG GREETING="hé <b> & co"',
      'ENV A=1 B="x <y> & z é" C=ünï',
      'LABEL l1="a<b>&c" "ünï"="välue" org.example.empty=""',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME /data ["/cache"]',
      'WORKDIR /app',
      'RUN echo "$GREETING" > /app/greeting && mkdir -p /app/sub && chmod 777 /app',
      'USER 1000:1000',
      'ENTRYPOINT ["/bin/sh","-c"]',
      'CMD ["echo \\"<hi>\\" && true"]',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=2 CMD ["true"]',
      'ONBUILD RUN echo "onbuild <&>" > /app/onbuild',
      'SHELL ["/bin/sh","-xc"]',
      '',
    ].join('\n'),
  },
  {
    name: 'FROM scratch with several COPY layers (the frontend writes "OnBuild":null)',
    tag: 'judge/scratch:1',
    dockerfile: 'FROM scratch\nCOPY a.txt /a.txt\nCOPY ["ünï <&>.txt", "/ünï.txt"]\nCOPY dir /dir\n',
    files: { 'a.txt': 'a\n', 'ünï <&>.txt': 'u\n', 'dir/x': 'x\n', 'dir/y/z': 'z\n' },
  },
  {
    name: 'RUN layers that remove files and make links (whiteouts)',
    tag: 'judge/run:1',
    base: 'judge/busybox:1',
    dockerfile: [
      'FROM judge/busybox:1',
      'RUN mkdir -p /w/d && echo one > /w/one && echo two > /w/d/two',
      'RUN rm /w/one && rm -r /w/d && ln -s /bin/busybox /w/link',
      'RUN echo three > /w/three',
      'CMD ["cat","/w/three"]',
      '',
    ].join('\n'),
  },
  {
    name: 'metadata only on a base image (no new layer)',
    tag: 'judge/meta:1',
    base: 'judge/busybox:1',
    dockerfile: [
      'FROM judge/busybox:1',
      'ENV X=1',
      'LABEL a=b',
      'HEALTHCHECK NONE',
      'ENTRYPOINT echo entry',
      'CMD echo <cmd>',
      '',
    ].join('\n'),
  },
  {
    name: 'a base image made by an earlier build: its ONBUILD trigger runs',
    tag: 'judge/child:1',
    base: 'judge/all:1',
    dockerfile: [
      'FROM judge/all:1',
      'USER 0:0',
      'RUN echo child > /child',
      'ARG V=2',
      'RUN echo $V > /v',
      '',
    ].join('\n'),
  },
  {
    name: 'a multi-stage build',
    tag: 'judge/stages:1',
    dockerfile: [
      'FROM judge/busybox:1 AS build',
      'RUN echo built > /out',
      'FROM scratch',
      'COPY --from=build /out /out',
      'WORKDIR /',
      'CMD ["/out"]',
      '',
    ].join('\n'),
  },
];

describe.runIf(havePeers('dockerd', 'docker', 'busybox', 'tar', 'skopeo'))(
  "BuildKit's image IDs from lading (config and layers of docker save)",
  () => {
    let dir: TempDir;
    let daemon: RunningDockerd;
    const saved = new Map<string, Saved>();
    /** `oci:DIR:TAG` of each base image, saved by docker and copied into an OCI layout by skopeo. */
    const baseLayouts = new Map<string, string>();

    /** `docker save` of one image, unpacked: the config and layer tars as docker wrote them. */
    async function save(tag: string): Promise<Saved> {
      const out = join(dir.path, 'saved', tag.replace(/[/:]/g, '_'));
      await mkdir(out, { recursive: true });
      const archive = `${out}.tar`;
      await daemon.docker(['save', '-o', archive, tag]);
      await run('tar', ['-xf', archive, '-C', out]);
      const [entry] = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
        Config: string;
        Layers: string[];
      }[];
      if (!entry) throw new Error(`docker save ${tag}: no manifest entry`);
      const inspect = JSON.parse((await daemon.docker(['image', 'inspect', tag])).stdout) as { Id: string }[];
      const configPath = join(out, entry.Config);
      return {
        id: inspect[0]?.Id ?? '',
        configPath,
        config: new Uint8Array(await readFile(configPath)),
        layerPaths: entry.Layers.map((l) => join(out, l)),
      };
    }

    async function baseLayout(tag: string): Promise<string> {
      const known = baseLayouts.get(tag);
      if (known) return known;
      const layout = join(dir.path, 'bases', tag.replace(/[/:]/g, '_'));
      const archive = join(dir.path, 'bases', `${tag.replace(/[/:]/g, '_')}.tar`);
      await mkdir(join(dir.path, 'bases'), { recursive: true });
      await daemon.docker(['save', '-o', archive, tag]);
      await run('skopeo', ['copy', `docker-archive:${archive}`, `oci:${layout}:base`]);
      const ref = `oci:${layout}:base`;
      baseLayouts.set(tag, ref);
      return ref;
    }

    /** `lading export` to a docker archive; returns the response of its metadata file. */
    async function exportWithLading(name: string, args: readonly string[]): Promise<Record<string, string>> {
      const work = join(dir.path, 'lading', name);
      await mkdir(work, { recursive: true });
      const meta = join(work, 'metadata.json');
      const r = await lading(
        ['export', ...args, '-o', `type=docker,dest=${join(work, 'image.tar')}`, '--metadata-file', meta],
        { cwd: work, env: { LADING_STORE: join(dir.path, 'store'), SOURCE_DATE_EPOCH: '' } },
      );
      expect(r.stderr).not.toMatch(/ERROR|Error/);
      expect(r.code).toBe(0);
      return JSON.parse(await readFile(meta, 'utf8')) as Record<string, string>;
    }

    let peer: PeerSetup<RunningDockerd> | undefined;
    beforeAll(async () => {
      peer = await setUpPeer(startDockerd(), 'lading-buildkit-bytes-', { busybox: true });
      ({ daemon, dir } = peer);
      const rootfs = peer.rootfs;
      await run('tar', ['-C', rootfs, '-cf', join(dir.path, 'rootfs.tar'), '.']);
      await daemon.docker(['import', join(dir.path, 'rootfs.tar'), 'judge/busybox:1']);
      for (const c of cases) {
        const ctx = join(dir.path, 'ctx', c.tag.replace(/[/:]/g, '_'));
        await mkdir(ctx, { recursive: true });
        await writeFile(join(ctx, 'Dockerfile'), c.dockerfile);
        for (const [path, content] of Object.entries(c.files ?? {})) {
          await mkdir(join(ctx, path, '..'), { recursive: true });
          await writeFile(join(ctx, path), content);
        }
        const built = await daemon.build(ctx, { tag: c.tag });
        const s = await save(c.tag);
        expect(s.id).toBe(built);
        saved.set(c.tag, s);
      }
    }, 600_000);

    afterAll(async () => peer?.stop());

    it('the oracle holds: each saved config is the bytes of BuildKit’s image ID', () => {
      expect(saved.size).toBe(cases.length);
      for (const s of saved.values()) expect(sha256(s.config)).toBe(s.id);
      // The builds carry what the byte rules are about.
      const all = text(saved.get('judge/all:1')?.config ?? new Uint8Array());
      expect(all).toContain('\\u003cy\\u003e \\u0026 z é');
      expect(text(saved.get('judge/scratch:1')?.config ?? new Uint8Array())).toContain('"OnBuild":null');
    });

    it.each(cases)('$name: --config and the layer tars give BuildKit’s image ID', async (c) => {
      const s = saved.get(c.tag) as Saved;
      const response = await exportWithLading(`config-${c.tag.replace(/[/:]/g, '_')}`, [
        '--config',
        s.configPath,
        ...s.layerPaths.flatMap((l) => ['--tarball', l]),
      ]);
      expect(response['containerimage.config.digest']).toBe(s.id);
    });

    it.each(cases.filter((c) => c.base !== undefined))(
      '$name: --base (the saved base as an OCI layout), --config and the new layers give BuildKit’s image ID',
      async (c) => {
        const s = saved.get(c.tag) as Saved;
        const base = await baseLayout(c.base as string);
        const baseLayers = (await save(c.base as string)).layerPaths.length;
        const response = await exportWithLading(`base-${c.tag.replace(/[/:]/g, '_')}`, [
          '--base',
          base,
          '--config',
          s.configPath,
          ...s.layerPaths.slice(baseLayers).flatMap((l) => ['--tarball', l]),
        ]);
        expect(response['containerimage.config.digest']).toBe(s.id);
      },
    );

    it('finalConfig (what type=moby writes) gives the same IDs from the config and the layers’ diff IDs', async () => {
      for (const c of cases) {
        const s = saved.get(c.tag) as Saved;
        const layers = [];
        for (const path of s.layerPaths) {
          const diffId = sha256(new Uint8Array(await readFile(path))) as Digest;
          layers.push({
            descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: 0 },
            diffId,
            uncompressedSize: 0,
          });
        }
        expect(sha256(finalConfig({ config: s.config, layers })), c.name).toBe(s.id);
      }
    });

    it('lading’s archive loads into dockerd as BuildKit’s image and runs', async () => {
      const s = saved.get('judge/run:1') as Saved;
      const work = join(dir.path, 'lading', 'config-judge_run_1');
      await daemon.docker(['rmi', 'judge/run:1']);
      const loaded = await daemon.docker(['load', '-i', join(work, 'image.tar')]);
      expect(loaded.stdout).toContain(s.id);
      const ran = await daemon.docker(['run', '--rm', '--network', 'none', s.id]);
      expect(ran.stdout).toBe('three\n');
    });

    it('with --base, the image is dated from the build, as BuildKit dates it (not from the base)', async () => {
      // BuildKit: the base's created is dropped and the image takes the time of its last history entry.
      const buildkit = JSON.parse(text((saved.get('judge/run:1') as Saved).config));
      expect(buildkit.created).toBe(buildkit.history.at(-1).created);
      const baseConfig = JSON.parse(text((await save('judge/busybox:1')).config));
      expect(buildkit.created).not.toBe(baseConfig.created);

      const s = saved.get('judge/run:1') as Saved;
      const baseRef = await baseLayout('judge/busybox:1');
      const plain = await exportWithLading('created-plain', [
        '--base',
        baseRef,
        ...s.layerPaths.slice(1).flatMap((l) => ['--tarball', l]),
      ]);
      const config = await configOfArchive(join(dir.path, 'lading', 'created-plain', 'image.tar'), plain);
      expect(config.created).not.toBe(baseConfig.created);
      expect(config.created).toBe(config.history.at(-1)?.created);
      expect(config.history[0]?.created).toBe(baseConfig.history[0].created);

      const pinned = await exportWithLading('created-epoch', [
        '--base',
        baseRef,
        '--epoch',
        '1700000000',
        ...s.layerPaths.slice(1).flatMap((l) => ['--tarball', l]),
      ]);
      const epochConfig = await configOfArchive(
        join(dir.path, 'lading', 'created-epoch', 'image.tar'),
        pinned,
      );
      expect(epochConfig.created).toBe('2023-11-14T22:13:20Z');
      expect(epochConfig.history[0]?.created).toBe(baseConfig.history[0].created);

      // A build that adds no layer: BuildKit dates it from the base's last history entry; so does lading.
      const meta = JSON.parse(text((saved.get('judge/meta:1') as Saved).config));
      expect(meta.created).toBe(baseConfig.history.at(-1).created);
      const edits = await exportWithLading('created-edits', ['--base', baseRef, '--env', 'X=1']);
      const editsConfig = await configOfArchive(
        join(dir.path, 'lading', 'created-edits', 'image.tar'),
        edits,
      );
      expect(editsConfig.created).toBe(meta.created);
    });

    /** The config of a lading docker archive, read back with skopeo (an independent reader). */
    async function configOfArchive(archive: string, response: Record<string, string>) {
      const raw = (await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`])).stdout;
      expect(sha256(new TextEncoder().encode(raw))).toBe(response['containerimage.config.digest']);
      return JSON.parse(raw) as { created: string; history: { created: string }[] };
    }
  },
);
