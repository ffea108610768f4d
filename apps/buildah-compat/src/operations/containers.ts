import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { readBlob } from '@lading/content-store';
import {
  defaultPlatform,
  InvalidInputError,
  isIndexMediaType,
  NotFoundError,
  OptionError,
  type Platform,
  RegistryError,
  redactUrl,
} from '@lading/digest';
import { type ImageConfig, parseImageConfig } from '@lading/image-config';
import { applyLayer, type LayerSource, unpackLayers } from '@lading/layer';
import { decodeIndex, decodeManifest, selectPlatform } from '@lading/manifest';
import { formatReference, parseNormalizedReference } from '@lading/reference-store';
import { containerNameBase, normalizeImageName } from '../storage/names.js';
import type { ContainerState, ImageRecord, OwnershipRule, Storage } from '../storage/storage.js';
import { parseImageReference, readImage, type TransferOptions } from '../transports/index.js';
import { resolveInRoot } from './paths.js';

const run = promisify(execFile);

export type PullPolicy = 'missing' | 'always' | 'never';

export interface FromOptions extends Omit<TransferOptions, 'format' | 'all'> {
  readonly name?: string;
  readonly pull?: PullPolicy;
  /** Caps on what unpacking the image writes (bytes of file contents, tar entries), per copy of the rootfs. */
  readonly unpackLimits?: { readonly maxBytes?: number; readonly maxEntries?: number };
}

/** The config of `from scratch`, as buildah starts it: no env, no PATH, no layers. */
function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {},
    rootfs: { type: 'layers', diff_ids: null },
  };
}

/** The manifest of an image in the store, with its parsed config. */
export async function readStoredImage(storage: Storage, image: ImageRecord) {
  const manifest = decodeManifest(await readBlob(storage.store, image.manifest)).value;
  const config = parseImageConfig(await readBlob(storage.store, manifest.config));
  return { manifest, config };
}

/** Finds IMAGE in local storage, pulling it (docker:// or any transport) as the pull policy says. */
export async function resolveBaseImage(
  storage: Storage,
  image: string,
  options: Omit<FromOptions, 'name'>,
): Promise<ImageRecord> {
  const ref = parseImageReference(image);
  const pull = options.pull ?? 'missing';
  if (ref.transport === 'containers-storage') {
    const local = await storage.findImage(ref.name);
    if (local && pull !== 'always') return local;
    if (pull === 'never') {
      throw new NotFoundError(
        'IMAGE_NOT_FOUND',
        `${ref.name}: image not known, and --pull=never forbids pulling it`,
      );
    }
    return pullInto(storage, { transport: 'docker', ref: ref.name }, [dockerName(ref.name)], options);
  }
  const names =
    ref.transport === 'docker' || (ref.transport === 'docker-daemon' && 'ref' in ref)
      ? [dockerName(ref.ref)]
      : [];
  return pullInto(storage, ref, names, options);
}

function safeNormalize(name: string): string | undefined {
  try {
    return normalizeImageName(name);
  } catch {
    return undefined;
  }
}

function safeDockerName(ref: string): string | undefined {
  try {
    return dockerName(ref);
  } catch {
    return undefined;
  }
}

function dockerName(ref: string): string {
  return formatReference(parseNormalizedReference(ref));
}

async function pullInto(
  storage: Storage,
  ref: Exclude<ReturnType<typeof parseImageReference>, { transport: 'containers-storage' }>,
  names: string[],
  options: Omit<FromOptions, 'name'>,
): Promise<ImageRecord> {
  const { pull: _pull, ...transfer } = options;
  const { manifest: top } = await readImage(ref, storage.store, transfer);
  let manifestDesc = top;
  if (isIndexMediaType(top.mediaType)) {
    const index = decodeIndex(await readBlob(storage.store, top)).value;
    const platform = options.platform ?? defaultPlatform();
    const chosen = selectPlatform(index, platform);
    if (!chosen) {
      throw new NotFoundError(
        'PLATFORM_NOT_FOUND',
        `no image for platform ${platform.os}/${platform.architecture} in the index; choose one with --platform`,
      );
    }
    manifestDesc = chosen;
  }
  const manifest = decodeManifest(await readBlob(storage.store, manifestDesc)).value;
  const config = parseImageConfig(await readBlob(storage.store, manifest.config));
  return storage.putImage(
    {
      manifest: { mediaType: manifestDesc.mediaType, digest: manifestDesc.digest, size: manifestDesc.size },
      configDigest: manifest.config.digest,
      created: config.created ?? new Date().toISOString(),
    },
    names,
  );
}

/** `buildah from`: a working container from scratch or an image, its layers unpacked into the rootfs. */
export async function createWorkingContainer(
  storage: Storage,
  image: string,
  options: FromOptions = {},
): Promise<ContainerState> {
  if (image === 'scratch') {
    return storage.createContainer(
      {
        fromImage: '',
        fromImageId: '',
        fromImageDigest: '',
        config: scratchConfig(options.platform ?? defaultPlatform()),
        annotations: {},
        createdBy: '',
        ownership: [],
      },
      '',
      options.name,
      async () => {},
    );
  }
  const record = await resolveBaseImage(storage, image, options);
  const { manifest, config } = await readStoredImage(storage, record);
  // Named after what was asked for (an image can carry several names), as buildah does.
  const asked = parseImageReference(image);
  const nameBase =
    asked.transport === 'containers-storage'
      ? containerNameBase(asked.name)
      : asked.transport === 'docker'
        ? containerNameBase(asked.ref)
        : record.names[0] !== undefined
          ? containerNameBase(record.names[0])
          : containerNameBase(basename(image.replace(/^[a-z-]+:(\/\/)?/, '').split(':')[0] ?? 'image'));
  const fromName =
    asked.transport === 'containers-storage' || asked.transport === 'docker'
      ? (record.names.find((n) => {
          const name = asked.transport === 'docker' ? asked.ref : asked.name;
          return n === name || n === safeDockerName(name) || n === safeNormalize(name);
        }) ??
        record.names[0] ??
        image)
      : (record.names[0] ?? image);
  const diffIds = config.rootfs.diff_ids ?? [];
  return storage.createContainer(
    {
      fromImage: fromName,
      fromImageId: record.id,
      fromImageDigest: record.manifest.digest,
      baseManifest: record.manifest,
      config,
      annotations: {},
      createdBy: '',
      ownership: [],
    },
    nameBase,
    options.name,
    async (state) => {
      const layers = (): LayerSource[] =>
        manifest.layers.map((l, i) => ({
          source: storage.store.read(l),
          ...(diffIds[i] !== undefined ? { diffId: diffIds[i] } : {}),
        }));
      const signal = { ...(options.signal ? { signal: options.signal } : {}), ...options.unpackLimits };
      await unpackLayers(storage.rootfsOf(state), layers(), signal);
      // A pristine copy of the base: the next commit's layer is the diff against it.
      if (manifest.layers.length > 0) {
        await mkdir(storage.lowerOf(state), { recursive: true });
        await unpackLayers(storage.lowerOf(state), layers(), signal);
      }
    },
  );
}

export interface CopyOptions {
  /** `USER[:GROUP]`, names looked up in the container's /etc/passwd and /etc/group. */
  readonly chown?: string;
  /** Octal permission bits. */
  readonly chmod?: string;
  /** `add`: local tar archives are extracted instead of copied. */
  readonly extract?: boolean;
  /** Directory the relative sources are taken from (default: the current directory). */
  readonly contextDir?: string;
}

function lookupId(rootfs: string, file: 'passwd' | 'group', name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const path = resolveInRoot(rootfs, `/etc/${file}`).host;
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  for (const line of lines) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) return Number(fields[2]);
  }
  throw new InvalidInputError(
    'CHOWN_UNKNOWN',
    `--chown: no ${file === 'passwd' ? 'user' : 'group'} named ${JSON.stringify(name)} in the container's /etc/${file}; use a numeric ID`,
  );
}

export function parseChown(rootfs: string, spec: string): { uid: number; gid: number } {
  const [user, group, extra] = spec.split(':');
  if (!user || extra !== undefined || group === '') {
    throw new OptionError('CHOWN_INVALID', `--chown=${spec}: use USER[:GROUP] (names or numeric IDs)`, {
      key: 'chown',
    });
  }
  const uid = lookupId(rootfs, 'passwd', user);
  let gid = uid;
  if (group !== undefined) gid = lookupId(rootfs, 'group', group);
  else if (!/^\d+$/.test(user)) {
    // buildah: a user name alone takes the user's primary group.
    const path = resolveInRoot(rootfs, '/etc/passwd').host;
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === user);
    gid = Number(line?.split(':')[3] ?? uid);
  }
  return { uid, gid };
}

export function parseChmod(spec: string): number {
  if (!/^[0-7]{1,4}$/.test(spec)) {
    throw new OptionError('CHMOD_INVALID', `--chmod=${spec}: give octal permission bits such as 755`, {
      key: 'chmod',
    });
  }
  return Number.parseInt(spec, 8);
}

const isArchiveName = (p: string) => /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/.test(p);

/**
 * `buildah copy/add CONTAINER SRC... DEST`: a directory's contents go into DEST, a file goes to DEST (or into it
 * when DEST ends in `/` or is a directory). Copied paths are owned by root (or `--chown`) in the committed layer,
 * whoever runs the copy; modes and times are kept (or `--chmod`).
 */
export async function copyIntoContainer(
  storage: Storage,
  state: ContainerState,
  sources: readonly string[],
  dest: string,
  options: CopyOptions = {},
): Promise<void> {
  if (sources.length === 0) throw new OptionError('COPY_NO_SOURCE', 'copy needs at least one source', {});
  const rootfs = storage.rootfsOf(state);
  const owner = options.chown !== undefined ? parseChown(rootfs, options.chown) : { uid: 0, gid: 0 };
  const mode = options.chmod !== undefined ? parseChmod(options.chmod) : undefined;
  const workdir = state.config.config?.WorkingDir || '/';
  const destPath = dest.startsWith('/') ? dest : `${workdir}/${dest}`;
  const target = resolveInRoot(rootfs, destPath);
  const wantsDir = dest.endsWith('/') || sources.length > 1;
  const isUrl = (s: string) => options.extract === true && /^https?:\/\//.test(s);
  const hostSources = sources.map((s) => (isUrl(s) ? s : resolve(options.contextDir ?? '.', s)));
  const kinds: ('dir' | 'file' | 'url')[] = [];
  for (const s of hostSources) {
    if (isUrl(s)) {
      kinds.push('url');
      continue;
    }
    const st = await stat(s).catch(() => undefined);
    if (!st) throw new NotFoundError('COPY_SOURCE_NOT_FOUND', `copy: ${s}: no such file or directory`);
    kinds.push(st.isDirectory() ? 'dir' : 'file');
  }
  const targetIsDir = (await lstat(target.host).catch(() => undefined))?.isDirectory() ?? false;
  if (sources.length > 1 && !targetIsDir && existsSync(target.host)) {
    throw new InvalidInputError(
      'COPY_DEST_NOT_DIR',
      `copy: destination ${dest} must be a directory for several sources`,
    );
  }
  const rules: OwnershipRule[] = [];
  const rule = (inner: string) =>
    rules.push({ path: inner, ...owner, ...(mode !== undefined ? { mode } : {}) });
  const createdDirs = await mkdirp(rootfs, target.inner, kinds.includes('dir') || wantsDir || targetIsDir);
  for (const d of createdDirs) rules.push({ path: d, uid: owner.uid, gid: owner.gid });
  for (const [i, src] of hostSources.entries()) {
    if (kinds[i] === 'dir') {
      const children = (await run('ls', ['-A', src])).stdout.split('\n').filter((n) => n !== '');
      // `cp -a SRC/. DEST` would also give DEST the source directory's mode and times; buildah leaves DEST as is.
      const before = await lstat(target.host);
      await run('cp', ['-a', '--no-preserve=ownership', '--', `${src}/.`, target.host]);
      await chmod(target.host, before.mode & 0o7777);
      await utimes(target.host, before.atime, before.mtime);
      for (const c of children) rule(join2(target.inner, c));
    } else if (kinds[i] === 'url') {
      const into = wantsDir || targetIsDir;
      const name = basename(new URL(src).pathname) || 'index.html';
      const file = into ? join2(target.inner, name) : target.inner;
      await download(src, resolveInRoot(rootfs, file).host);
      rule(file);
    } else if (options.extract && isArchiveName(src)) {
      // The layer package's safe unpacker: nothing lands outside the rootfs, whatever links the archive holds.
      await applyLayer(target.host, { source: archiveStream(src) });
      if (options.chown !== undefined || mode !== undefined) {
        const listing = (await run('tar', ['-tf', src], { maxBuffer: 1 << 28 })).stdout.split('\n');
        const tops = new Set(listing.map((l) => l.replace(/^\.\//, '').split('/')[0]).filter((n) => n));
        for (const t of tops) rule(join2(target.inner, t as string));
      }
    } else {
      const into = wantsDir || targetIsDir;
      const file = into ? join2(target.inner, basename(src)) : target.inner;
      await run('cp', ['-a', '--no-preserve=ownership', '--', src, resolveInRoot(rootfs, file).host]);
      rule(file);
    }
  }
  state.ownership.push(...rules);
  await storage.saveContainer(state);
}

/** The archive's tar bytes: gzip and zstd are detected by the unpacker, bzip2 and xz go through their tools. */
function archiveStream(path: string): AsyncIterable<Uint8Array> {
  const tool = /\.(tar\.bz2|tbz2?)$/.test(path) ? 'bzip2' : /\.(tar\.xz|txz)$/.test(path) ? 'xz' : undefined;
  if (tool === undefined) return createReadStream(path);
  const child = spawn(tool, ['-dc', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? ok()
        : fail(new InvalidInputError('ARCHIVE_INVALID', `add: ${path}: ${tool} exited ${code}`)),
    );
  });
  return (async function* () {
    yield* child.stdout;
    await done;
  })();
}

const join2 = (a: string, b: string) => (a === '' ? b : `${a}/${b}`);

/** `add URL`: the body into a file with mode 0600 and the Last-Modified time, as buildah does. */
async function download(url: string, path: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new RegistryError('ADD_URL_FAILED', `add: fetching ${redactUrl(url)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (res.status === 404)
    throw new NotFoundError('ADD_URL_NOT_FOUND', `add: ${redactUrl(url)}: 404 Not Found`);
  if (!res.ok || res.body === null) {
    throw new RegistryError('ADD_URL_FAILED', `add: fetching ${redactUrl(url)}: HTTP ${res.status}`);
  }
  const partial = `${path}.lading-download`;
  try {
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(partial, { mode: 0o600 }));
    await chmod(partial, 0o600);
    const modified = res.headers.get('last-modified');
    if (modified !== null && !Number.isNaN(Date.parse(modified))) {
      await utimes(partial, new Date(modified), new Date(modified));
    }
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

/** Creates DEST's missing parents (and DEST itself when it is to be a directory); returns the ones it made. */
async function mkdirp(rootfs: string, inner: string, leafIsDir: boolean): Promise<string[]> {
  const parts = inner.split('/').filter((p) => p !== '');
  const upto = leafIsDir ? parts.length : parts.length - 1;
  const made: string[] = [];
  for (let i = 1; i <= upto; i++) {
    const p = parts.slice(0, i).join('/');
    const host = resolveInRoot(rootfs, p).host;
    const st = await lstat(host).catch(() => undefined);
    if (st === undefined) {
      await mkdir(host, { mode: 0o755 });
      made.push(p);
    } else if (!st.isDirectory()) {
      throw new InvalidInputError(
        'COPY_DEST_NOT_DIR',
        `copy: /${p} exists in the container and is not a directory`,
      );
    }
  }
  return made;
}
