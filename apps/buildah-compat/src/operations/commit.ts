import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { readBlob, writeBlob } from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  InvalidInputError,
  layerMediaType,
  MediaType,
  OptionError,
} from '@lading/digest';
import {
  encodeImageConfig,
  formatTime,
  type History,
  type ImageConfig,
  withEnv,
  withLabels,
} from '@lading/image-config';
import {
  diffTreeEntries,
  readTreeEntries,
  type TreeEntry,
  tarItemsFromEntries,
  writeLayer,
  writeTar,
} from '@lading/layer';
import { convertMediaType, decodeManifest, encodeManifest, type ImageManifest } from '@lading/manifest';
import { loadPolicy } from '../policy/index.js';
import type { ContainerState, OwnershipRule, Storage } from '../storage/storage.js';
import {
  type ImageReference,
  parseImageReference,
  type TransferOptions,
  writeImage,
} from '../transports/index.js';
import { defaultCompression } from './default-compression.js';

/** The label `--identity-label` adds (buildah's is `io.buildah.version`; ours names lading-buildah and its version). */
export const identityLabel = 'dev.lading.buildah.version';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** buildah's CommitOptions (buildah's commit.go), as flags. */
export interface CommitOptions {
  readonly format?: 'oci' | 'docker';
  /** Of the new layer. Default: uncompressed (buildah's `--disable-compression` defaults to true). */
  readonly compression?: Compression;
  /** `--disable-compression` given: to another transport every layer goes as it is (no default gzip). */
  readonly disableCompression?: boolean;
  readonly compressionLevel?: number;
  /** Extra names for the image in local storage (buildah's AdditionalTags). */
  readonly additionalTags?: readonly string[];
  /** `--timestamp`: seconds; the config's, history's and every new-layer entry's time. */
  readonly timestamp?: number;
  /** `--source-date-epoch`: seconds; config and history times, and new-layer times clamped to it. */
  readonly sourceDateEpoch?: number;
  readonly omitHistory?: boolean;
  /** Default true. */
  readonly identityLabel?: boolean;
  readonly squash?: boolean;
  readonly unsetEnv?: readonly string[];
  readonly signaturePolicy?: string;
  readonly transfer?: Omit<TransferOptions, 'format' | 'compression' | 'compressionLevel' | 'policyPath'>;
  /** The report buildah writes while copying (stderr), one line per call. */
  readonly report?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface CommitResult {
  /** The image ID: hex of the config digest. */
  readonly id: string;
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layer: Descriptor;
  /** The manifest digest written at the destination (differs from `manifest` when the transport converted it). */
  readonly destinationDigest?: string;
}

/**
 * `compression-format` names; bzip2 and xz are refused as buildah's commit.go does, since no layer media type
 * exists for them.
 */
export function parseCompressionFormat(name: string): Compression {
  if (name === 'gzip' || name === 'zstd') return name;
  if (name === 'uncompressed' || name === 'none') return 'uncompressed';
  if (name === 'bzip2' || name === 'xz') {
    throw new OptionError(
      'COMPRESSION_NOT_SUPPORTED',
      `media type for ${name}-compressed layers is not defined: operation not supported; use gzip or zstd`,
      { key: 'compression-format' },
    );
  }
  throw new OptionError('COMPRESSION_UNKNOWN', `--compression-format=${name}: use gzip or zstd`, {
    key: 'compression-format',
  });
}

function ruleFor(
  rules: readonly OwnershipRule[],
  path: string,
): { uid?: number; gid?: number; mode?: number } {
  const out: { uid?: number; gid?: number; mode?: number } = {};
  for (const r of rules) {
    if (path === r.path || path.startsWith(`${r.path}/`) || r.path === '') {
      if (r.uid !== undefined) out.uid = r.uid;
      if (r.gid !== undefined) out.gid = r.gid;
      if (r.mode !== undefined) out.mode = r.mode;
    }
  }
  return out;
}

/** Applies the recorded owners/modes of copied paths, and `--timestamp` to every entry. */
function adjust(
  entries: readonly TreeEntry[],
  rules: readonly OwnershipRule[],
  timestamp?: number,
): TreeEntry[] {
  const ns = timestamp === undefined ? undefined : BigInt(timestamp) * 1_000_000_000n;
  if (rules.length === 0 && ns === undefined) return entries as TreeEntry[];
  return entries.map((e) => {
    if (e.abs === '') return e; // a whiteout marker: its fixed header is part of the format
    const r = rules.length > 0 ? ruleFor(rules, e.path) : {};
    if (r.uid === undefined && r.gid === undefined && r.mode === undefined && ns === undefined) return e;
    return {
      ...e,
      uid: r.uid ?? e.uid,
      gid: r.gid ?? e.gid,
      mode: r.mode !== undefined && e.type !== 'symlink' ? (e.mode & ~0o7777) | r.mode : e.mode,
      mtimeNs: ns ?? e.mtimeNs,
    };
  });
}

const manifestType = (format: 'oci' | 'docker') =>
  format === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest;
const configType = (format: 'oci' | 'docker') =>
  format === 'oci' ? MediaType.ociConfig : MediaType.dockerConfig;

/**
 * `buildah commit`: the container's changes since its base become one new layer; config and manifest follow
 * (buildah's commit.go). Into local storage only that layer, the config and the manifest are written (the base
 * layers are already there: buildah's shallow copy); to any other transport the whole image goes through
 * `writeImage`.
 */
export async function commitContainer(
  storage: Storage,
  state: ContainerState,
  destination: string | undefined,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const format = options.format ?? 'oci';
  const oci = format === 'oci';
  const compression = options.compression ?? 'uncompressed';
  const report = options.report ?? (() => {});
  const dest: ImageReference | undefined =
    destination === undefined ? undefined : parseImageReference(destination);
  for (const t of options.additionalTags ?? [])
    if (t === '') throw new OptionError('TAG_EMPTY', 'empty --tag', {});
  if (options.timestamp !== undefined && options.sourceDateEpoch !== undefined) {
    throw new OptionError(
      'TIMESTAMP_CONFLICT',
      '--timestamp and --source-date-epoch cannot be used together',
      {},
    );
  }
  const epochSeconds = options.timestamp ?? options.sourceDateEpoch;
  const now = epochSeconds === undefined ? new Date() : new Date(epochSeconds * 1000);
  // As buildah's commit.go's Commit: the policy is read (a broken policy.json fails before any work). It is enforced by
  // writeImage on the copy to another transport; the shallow copy into local storage evaluates none.
  await loadPolicy(options.signaturePolicy);
  const local = dest === undefined || dest.transport === 'containers-storage';
  // To another transport, writeImage reports the copy itself.
  const say = local ? report : () => {};

  // The base: its manifest's layers are shared; its config is what `config` edited.
  const base = state.baseManifest
    ? decodeManifest(await readBlob(storage.store, state.baseManifest)).value
    : undefined;
  const squash = options.squash === true;
  const baseLayers = squash || !base ? [] : base.layers;
  const baseDiffIds = squash ? [] : (state.config.rootfs.diff_ids ?? []);

  const rootfs = storage.rootfsOf(state);
  const entries =
    base && base.layers.length > 0 && !squash
      ? diffTreeEntries(storage.lowerOf(state), rootfs)
      : readTreeEntries(rootfs);
  const items = tarItemsFromEntries(
    adjust(entries, state.ownership, options.timestamp),
    rootfs,
    options.sourceDateEpoch !== undefined ? { epoch: options.sourceDateEpoch } : {},
  );
  say('Getting image source signatures');
  const layer = await writeLayer(
    writeTar(items, { reuseAfter: 3, ...(options.signal ? { signal: options.signal } : {}) }),
    storage.store,
    {
      compression,
      ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}),
      oci,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );

  // The config: the edited one, with the new layer, its history entry and the identity label.
  const created = formatTime(now);
  let edited: ImageConfig = state.config;
  if (options.identityLabel !== false) edited = withLabels(edited, { [identityLabel]: packageVersion() });
  if (options.unsetEnv?.length) {
    edited = withEnv(edited, Object.fromEntries(options.unsetEnv.map((name) => [name, undefined])));
    if (edited.config?.Env?.length === 0) {
      const { Env: _none, ...rest } = edited.config;
      edited = { ...edited, config: rest };
    }
  }
  const cfg = { ...(edited.config ?? {}) };
  const shell = cfg.Shell?.join(' ');
  const entry: History = {
    created,
    created_by: state.createdBy || shell || '/bin/sh',
    ...(state.config.author ? { author: state.config.author } : {}),
  };
  const history: History[] | undefined = options.omitHistory
    ? undefined
    : [...(squash ? [] : (state.config.history ?? [])), entry];
  const { history: _h, ...rest } = state.config;
  const config: ImageConfig = {
    ...rest,
    created,
    config: cfg,
    rootfs: { type: 'layers', diff_ids: [...baseDiffIds, layer.diffId] },
    ...(history ? { history } : {}),
  };
  const configBytes = encodeImageConfig(config);
  const configDesc = await writeBlob(storage.store, configBytes, { mediaType: configType(format) });

  const layerDesc: Descriptor = { ...layer.descriptor, mediaType: layerMediaType(compression, { oci }) };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: manifestType(format),
    config: { mediaType: configType(format), digest: configDesc.digest, size: configDesc.size },
    layers: [
      ...baseLayers.map((l) => ({
        mediaType: convertMediaType(l.mediaType, { oci }),
        digest: l.digest,
        size: l.size,
      })),
      { mediaType: layerDesc.mediaType, digest: layerDesc.digest, size: layerDesc.size },
    ],
    ...(oci
      ? {
          annotations: {
            'org.opencontainers.image.base.digest': state.fromImageDigest,
            'org.opencontainers.image.base.name': state.fromImage,
            ...state.annotations,
          },
        }
      : {}),
  };
  const encoded = encodeManifest(manifest);
  const manifestDesc = await writeBlob(storage.store, encoded.bytes, { mediaType: manifestType(format) });
  const id = configDesc.digest.slice('sha256:'.length);
  for (const l of manifest.layers) say(`Copying blob ${l.digest}`);
  say(`Copying config ${configDesc.digest}`);
  say('Writing manifest to image destination');

  let destinationDigest: string | undefined;
  if (dest === undefined || dest.transport === 'containers-storage') {
    const names = [...(dest && dest.name !== '' ? [dest.name] : []), ...(options.additionalTags ?? [])];
    await storage.putImage({ manifest: manifestDesc, configDigest: configDesc.digest, created }, names);
  } else {
    if (options.additionalTags?.length) {
      report(`don't know how to add tags to images stored in "${dest.transport}" transport`);
    }
    const written = await writeImage(
      dest,
      { store: storage.store, manifest: manifestDesc },
      {
        ...(options.transfer ?? {}),
        onProgress: report,
        format: oci ? 'oci' : 'v2s2',
        // the new layer is already as asked; the base's pass as they are, except that a registry gets uncompressed
        // layers gzipped as buildah sends them, unless --disable-compression was given (buildah 1.28 writes an
        // uncompressed commit to oci: as it is: only the registry is compressed for)
        ...(options.disableCompression === true ||
        compression !== 'uncompressed' ||
        dest.transport !== 'docker'
          ? {}
          : defaultCompression(dest)),
        ...(options.compressionLevel !== undefined ? { compressionLevel: options.compressionLevel } : {}),
        ...(options.signaturePolicy !== undefined ? { policyPath: options.signaturePolicy } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    destinationDigest = written.manifestDigest;
  }
  say('Storing signatures');
  return {
    id,
    manifest: manifestDesc,
    config: configDesc,
    layer: layerDesc,
    ...(destinationDigest ? { destinationDigest } : {}),
  };
}

export async function writeIidFile(path: string | undefined, id: string): Promise<void> {
  if (path === undefined) return;
  // buildah writes the ID with its algorithm and no newline.
  await writeFile(path, `sha256:${id}`);
}

export function requireNonNegativeInt(value: string, option: string): number {
  if (!/^\d+$/.test(value)) {
    throw new OptionError(
      'NOT_A_NUMBER',
      `${option}=${value}: give a whole number of seconds since 1970`,
      {},
    );
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new InvalidInputError('NUMBER_TOO_LARGE', `${option}=${value} is too large`);
  return n;
}
