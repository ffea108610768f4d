import type { ContainerdClient, ContainerdLocation, InPlaceApply } from '@lading/containerd';
import { blobSourceFrom } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  defaultPlatform,
  isIndexMediaType,
  isIntegrityError,
  OptionError,
} from '@lading/digest';
import { sourceImages, type WrittenImages, writeImages } from '../operations/write-image.js';
import { ResponseKey } from '../plugin/keys.js';
import type {
  ExportContext,
  ExportEnv,
  ExportLayer,
  ExportResult,
  ExportSource,
  LayerTap,
} from '../plugin/types.js';
import type { ImageExporterOptions } from './image-exporter.js';
import { imageNaming, recordNames } from './image-names.js';
import { recordImageResponse } from './image-response.js';

/** Where `type=image` puts images when containerd is asked for (or found). */
export interface ContainerdChoice {
  /** containerd's socket (`--containerd-address`); else `CONTAINERD_ADDRESS`. */
  readonly address?: string;
  /** `--namespace`; else `CONTAINERD_NAMESPACE`, else `default`. */
  readonly namespace?: string;
  /** With no address given: use containerd's default socket when something answers there. */
  readonly probeDefault?: boolean;
}

/** The containerd to export into, or undefined for the lading store. */
export async function chooseContainerd(
  choice: ContainerdChoice | undefined,
  env: ExportEnv,
): Promise<ContainerdLocation | undefined> {
  const given = choice?.address || env.env.CONTAINERD_ADDRESS;
  // The lading store, decided without loading the containerd client.
  if (!given && !choice?.probeDefault) return undefined;
  const { containerdAnswers, defaultContainerdAddress, resolveContainerdLocation } = await import(
    '@lading/containerd'
  );
  if (given) return resolveContainerdLocation({ address: given, namespace: choice?.namespace }, env.env);
  if (choice?.probeDefault && (await containerdAnswers(defaultContainerdAddress))) {
    return resolveContainerdLocation(
      { address: defaultContainerdAddress, namespace: choice.namespace },
      env.env,
    );
  }
  return undefined;
}

/** The temporary lease of an export: it holds everything written until the image records and labels do. */
const leaseTtlMs = 60 * 60 * 1000;
/** Layer uploads in flight at once. */
const uploadConcurrency = 3;

/**
 * `type=image` into containerd, as BuildKit's image exporter does with a containerd worker (exporter/containerimage/
 * export.go): under a temporary lease, layer blobs containerd lacks are sent (each labelled
 * `containerd.io/uncompressed`), then config, manifests and the index, each parent labelled
 * `containerd.io/gc.ref.content.N` for its children; with `unpack` the layers are applied into the snapshotter and
 * the config labelled `containerd.io/gc.ref.snapshot.<snapshotter>`; last the image records are updated, or created
 * (one per name, `NAME@DIGEST` too with name-canonical; a multi-platform image is one record naming the index).
 * Names are normalised as Docker and nerdctl do (`app:1` -> `docker.io/library/app:1`). The lease is deleted at the
 * end: what remains is held by the records.
 */
export async function exportToContainerd(
  source: ExportSource,
  ctx: ExportContext,
  opts: ImageExporterOptions,
  location: ContainerdLocation,
  /** The connection and lease `tapContainerdLayers` opened; else one is opened here. Closed at the end. */
  session?: ContainerdSession,
): Promise<ExportResult> {
  try {
    checkContainerdOptions(opts);
    const images = sourceImages(source);
    // Names are checked before anything is written.
    const { formatReference, parseNormalizedReference, withDefaultTag } = await import(
      '@lading/reference-store/reference'
    );
    const normalise = (name: string) => formatReference(withDefaultTag(parseNormalizedReference(name)));
    if (opts.store && opts.targetName !== '' && opts.targetName !== '*') {
      for (const n of opts.targetName.split(',')) normalise(n);
    }
    session ??= await openContainerdSession(ctx, opts, location);
    return await exportUnderLease(source, ctx, opts, session, images, normalise);
  } finally {
    await session?.close();
  }
}

function checkContainerdOptions(opts: ImageExporterOptions): void {
  if (opts.unpackDir !== undefined) {
    throw new OptionError(
      'UNPACK_DIR_CONTAINERD',
      'unpack-dir is for the lading store: into containerd, unpack=true applies the layers to its snapshotter (snapshotter=overlayfs|native)',
      { key: 'unpack-dir' },
    );
  }
}

/** One export's connection to containerd and its temporary lease, which holds everything written under it. */
export interface ContainerdSession {
  /** The client, under the lease. */
  readonly client: ContainerdClient;
  /** Layers being committed by in-place applies; the unpack waits for them. */
  readonly pending: Set<Promise<void>>;
  /** Deletes the lease (what remains is held by the image records) and closes the connection. Never throws. */
  close(): Promise<void>;
  /** close() was called. */
  readonly closed: boolean;
}

async function openContainerdSession(
  ctx: ExportContext,
  opts: ImageExporterOptions,
  location: ContainerdLocation,
): Promise<ContainerdSession> {
  const { checkSnapshotter, connectContainerd } = await import('@lading/containerd');
  const client = await connectContainerd(location);
  try {
    if (opts.unpack && opts.store) await checkSnapshotter(client.snapshots, opts.snapshotter, ctx.signal);
    const lease = await client.leases.create(
      { expiresInMs: leaseTtlMs, labels: { 'lading.dev/lease.temporary': new Date().toISOString() } },
      { signal: ctx.signal },
    );
    let closing: Promise<void> | undefined;
    return {
      client: client.withLease(lease.id),
      pending: new Set(),
      get closed() {
        return closing !== undefined;
      },
      close() {
        closing ??= client.leases
          .delete(lease.id)
          .catch(() => {})
          .finally(() => client.close());
        return closing;
      },
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * With `unpack=true` and `store=true`: the connection and lease are made before the layers are built, and each
 * layer built on a chain containerd has committed (or on nothing) is applied into its snapshotter while it is made,
 * from this process as containerd's own applier would (`openInPlaceApply`); the unpack in `exportToContainerd` then
 * finds those chains committed and skips them. A layer that cannot be applied in place (a mount this process cannot
 * write, a failed apply) is left to containerd's diff service, as without the tap. Undefined when there is nothing
 * to tap.
 */
export async function tapContainerdLayers(
  ctx: ExportContext,
  opts: ImageExporterOptions,
  location: ContainerdLocation,
): Promise<{ readonly tap: LayerTap; readonly session: ContainerdSession } | undefined> {
  if (!opts.unpack || !opts.store) return undefined;
  checkContainerdOptions(opts);
  const session = await openContainerdSession(ctx, opts, location);
  const { chainIds, isNotFoundError, openInPlaceApply } = await import('@lading/containerd');
  const { snapshotter } = opts;
  const open = new Set<InPlaceApply>();
  const committed = async (chainId: Digest) => {
    try {
      await session.client.snapshots.stat(snapshotter, chainId, { signal: ctx.signal });
      return true;
    } catch (error) {
      if (isNotFoundError(error)) return false;
      throw error;
    }
  };
  const tap: LayerTap = {
    async layer(t) {
      if (ctx.signal.aborted) return undefined;
      const parent = chainIds(t.parentDiffIds).at(-1) ?? '';
      let apply: InPlaceApply | undefined;
      try {
        // The new layer's own chain ID is known only at the end: one committed meanwhile is fine (commit).
        if (parent !== '' && !(await committed(parent))) return undefined;
        apply = await openInPlaceApply(session.client, {
          snapshotter,
          parentChainId: parent,
          signal: ctx.signal,
        });
      } catch (error) {
        ctx.logger.debug(`layer ${t.index}: not applied in place: ${(error as Error).message}`);
        return undefined;
      }
      if (apply === undefined) return undefined;
      const a = apply;
      open.add(a);
      let failed = false;
      const giveUp = async (error: unknown) => {
        failed = true;
        open.delete(a);
        const message = `layer ${t.index}: the in-place apply failed, containerd's diff service applies it: ${(error as Error).message}`;
        if (isIntegrityError(error)) ctx.logger.warn(message);
        else ctx.logger.debug(message);
        await a.abort(error);
      };
      return {
        async write(chunk) {
          if (failed) return;
          try {
            await a.write(chunk);
          } catch (error) {
            await giveUp(error);
          }
        },
        async end(layer) {
          if (failed) return;
          const done = a.commit(layer.diffId).then((chainId) => {
            open.delete(a);
            ctx.logger.debug(`layer ${t.index}: ${chainId} applied in place (${a.mode})`);
          }, giveUp);
          session.pending.add(done);
          await done;
          session.pending.delete(done);
        },
        async abort(reason) {
          failed = true;
          open.delete(a);
          await a.abort(reason);
        },
      };
    },
    async abort(reason) {
      const taken = [...open];
      open.clear();
      await Promise.all(taken.map((a) => a.abort(reason)));
      await session.close();
    },
  };
  return { tap, session };
}

async function exportUnderLease(
  source: ExportSource,
  ctx: ExportContext,
  opts: ImageExporterOptions,
  session: ContainerdSession,
  images: ReturnType<typeof sourceImages>,
  normalise: (name: string) => string,
): Promise<ExportResult> {
  const { signal } = ctx;
  const { client } = session;
  const { UncompressedLabel, indexGcLabels, manifestGcLabels, unpackImage } = await import(
    '@lading/containerd'
  );
  ctx.progress.start('layers', 'exporting layers');
  const layers = new Map<string, ExportLayer>();
  for (const { image } of images) for (const l of image.layers) layers.set(l.descriptor.digest, l);
  // The first failed upload stops the others before the lease goes.
  const stop = new AbortController();
  const uploads = AbortSignal.any([signal, stop.signal]);
  const send = async (l: ExportLayer) => {
    const id = `layer ${l.descriptor.digest}`;
    const result = await client.content.put(l.descriptor, blobSourceFrom(source.provider, l.descriptor), {
      labels: { [UncompressedLabel]: l.diffId },
      signal: uploads,
      onProgress: (e) => ctx.progress.update(id, e.bytes, e.total),
      onResume: (e) => ctx.logger.debug(`${id}: resuming the upload at byte ${e.offset}`),
    });
    ctx.logger.debug(result === 'exists' ? `${id}: already in containerd` : `${id}: sent to containerd`);
  };
  // A few uploads at once: each stream waits on containerd's acknowledgements, not on this process.
  const queue = [...layers.values()];
  const workers = await Promise.allSettled(
    Array.from({ length: Math.min(uploadConcurrency, queue.length) }, async () => {
      try {
        for (let l = queue.shift(); l !== undefined; l = queue.shift()) await send(l);
      } catch (error) {
        stop.abort(error);
        throw error;
      }
    }),
  );
  const failed = workers.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (failed) throw signal.aborted ? signal.reason : (stop.signal.reason ?? failed.reason);
  ctx.progress.done('layers');
  const written: WrittenImages = await writeImages(client.content, source, {
    oci: opts.oci,
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
    annotationGroups: opts.annotations,
    onWarning: (w) => ctx.logger.warn(w),
  });
  for (const { written: w } of written.images) {
    await client.content.updateLabels(
      w.manifest.digest,
      manifestGcLabels(JSON.parse(decode(w.manifestBytes))),
    );
  }
  const desc: Descriptor = written.root;
  if (isIndexMediaType(desc.mediaType)) {
    await client.content.updateLabels(desc.digest, indexGcLabels(JSON.parse(decode(written.rootBytes))));
  }

  const response: Record<string, string> = {};
  const { targetName, nameCanonical } = imageNaming(opts, source, desc.digest);
  if (targetName !== '') {
    const names = targetName.split(',');
    if (opts.store) {
      // Unpacked before anything is named: a failed unpack leaves no record pointing at a half-made image.
      if (opts.unpack) {
        // Layers applied in place while they were built are committed first: the unpack skips their chains.
        await Promise.allSettled(session.pending);
        const label = `unpacking to ${opts.snapshotter}`;
        ctx.progress.start(label, label);
        await unpackImage(client, desc, {
          snapshotter: opts.snapshotter,
          platform: defaultPlatform(),
          signal,
          onLayer: (e) =>
            ctx.logger.debug(`layer ${e.index}: ${e.chainId} ${e.applied ? 'applied' : 'already unpacked'}`),
        });
        ctx.progress.done(label);
      }
      for (const name of names) {
        const label = `naming to ${name}`;
        ctx.progress.start(label, label);
        for (const n of recordNames(normalise(name), desc.digest, nameCanonical)) {
          await client.images.put(
            { name: n, target: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size } },
            { signal },
          );
        }
        ctx.progress.done(label);
      }
    }
    if (opts.push) {
      const { pushImage } = await import('@lading/push');
      for (const name of names) {
        const label = `pushing ${name}`;
        ctx.progress.start(label, label);
        await pushImage(client.content, desc, name, {
          byDigest: opts.pushByDigest,
          ...(opts.insecure ? { insecure: true } : {}),
          signal,
        });
        ctx.progress.done(label);
      }
    }
    response[ResponseKey.imageName] = targetName;
  }
  recordImageResponse(response, desc, written);
  return { response, descriptor: desc };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
