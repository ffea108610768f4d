import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provider } from '@lading/content-store';
import { openLocalStore, readBlob } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  InvalidInputError,
  isIndexMediaType,
  isManifestMediaType,
  maxConfigBytes,
  maxManifestBytes,
  NotFoundError,
  type Platform,
  parseDigest,
  parseJsonObject,
  platformMatches,
} from '@lading/digest';
import { parseHistoryFromConfig } from '@lading/image-config';
import { pickLayoutEntry, unsupportedLayoutTypes } from '@lading/reference-store/reference';
import { parseImageReference } from '@lading/transports/reference';
import type { ExportLayer } from '../plugin/types.js';

export interface BaseImage {
  /** The image manifest chosen (after resolving an index). */
  readonly manifest: Descriptor;
  readonly manifestBytes: Uint8Array;
  readonly config: Uint8Array;
  readonly layers: readonly ExportLayer[];
  readonly historyLength: number;
  readonly provider: Provider;
  /** What the name points to (an index, or the manifest itself) and its exact bytes, when read from a store. */
  readonly root?: { readonly descriptor: Descriptor; readonly bytes: Uint8Array };
}

interface ManifestJson {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  manifests?: Descriptor[];
}

function parseJson(bytes: Uint8Array | string, what: string): ManifestJson {
  return parseJsonObject(bytes, { what, code: 'BASE_BAD_JSON' }) as unknown as ManifestJson;
}

/**
 * `oci:DIR[:TAG]` -> DIR and TAG, through the one parser of it (`@lading/transports`' `parseImageReference`): the
 * path ends at the first colon, as containers/image has it, and the tag is checked against its grammar.
 */
export function parseOciReference(ref: string): { dir: string; tag: string | undefined } {
  const parsed = parseImageReference(ref.startsWith('oci:') ? ref : `oci:${ref}`);
  if (parsed.transport !== 'oci') throw new InvalidInputError('OCI_REFERENCE', `${ref} is not oci:DIR[:TAG]`);
  return { dir: parsed.dir, tag: parsed.ref };
}

/**
 * Reads a base image from an OCI image layout (`oci:DIR[:TAG]`, as skopeo, umoci and buildah write it): its config
 * and layers. A multi-platform index resolves to `platform`.
 */
export async function readOciLayoutImage(ref: string, platform: Platform): Promise<BaseImage> {
  const { dir, tag } = parseOciReference(ref);
  let indexText: string;
  try {
    indexText = await readFile(join(dir, 'index.json'), 'utf8');
  } catch (cause) {
    throw new NotFoundError('BASE_NOT_FOUND', `no OCI image layout at ${dir} (index.json missing)`, {
      cause,
    });
  }
  const index = parseJson(indexText, join(dir, 'index.json'));
  const pick = pickLayoutEntry(index.manifests ?? [], tag);
  if ('unsupported' in pick) {
    throw new InvalidInputError(
      'BASE_UNSUPPORTED_TYPE',
      `${dir}: ${unsupportedLayoutTypes(tag ?? '', pick.unsupported)}`,
    );
  }
  if (!('entry' in pick)) {
    throw new NotFoundError(
      'BASE_NOT_FOUND',
      tag === undefined
        ? `${dir} holds ${'several' in pick ? pick.several : 0} images: name one with oci:${dir}:TAG`
        : `no image named ${JSON.stringify(tag)} in ${dir}`,
    );
  }
  const store = await openLocalStore(dir);
  return readStoreImage(store, pick.entry, platform, ref);
}

/** Reads an image (manifest, or an index resolved to `platform`) whose blobs are in `store`. */
export async function readStoreImage(
  store: Provider,
  root: Descriptor,
  platform: Platform,
  ref: string,
): Promise<BaseImage> {
  let desc = root;
  let rootBytes: Uint8Array | undefined;
  for (let depth = 0; depth < 4; depth++) {
    const bytes = await readBlob(store, desc, { maxBytes: maxManifestBytes });
    rootBytes ??= bytes;
    const doc = parseJson(bytes, `manifest ${desc.digest}`);
    const mt = doc.mediaType ?? desc.mediaType;
    if (isIndexMediaType(mt) || (doc.manifests !== undefined && doc.layers === undefined)) {
      const pick = (doc.manifests ?? []).find((m) => m.platform && platformMatches(platform, m.platform));
      if (!pick)
        throw new NotFoundError('BASE_NO_PLATFORM', `${ref} has no image for the requested platform`);
      desc = pick;
      continue;
    }
    if (!isManifestMediaType(mt) && doc.config === undefined) {
      throw new InvalidInputError('BASE_BAD_MANIFEST', `${ref}: ${desc.digest} is not an image manifest`);
    }
    const config = await readBlob(store, doc.config, { maxBytes: maxConfigBytes });
    const diffIds = readDiffIds(config, ref);
    if (diffIds.length !== doc.layers.length) {
      throw new InvalidInputError(
        'BASE_LAYER_MISMATCH',
        `${ref}: config lists ${diffIds.length} diff IDs for ${doc.layers.length} layers`,
      );
    }
    const layers = doc.layers.map((l, i) => ({
      descriptor: { ...l, mediaType: l.mediaType },
      diffId: diffIds[i] as Digest,
      uncompressedSize: -1,
    }));
    return {
      manifest: desc,
      manifestBytes: bytes,
      config,
      layers,
      historyLength: parseHistoryFromConfig(config)?.length ?? 0,
      provider: store,
      root: { descriptor: root, bytes: rootBytes ?? bytes },
    };
  }
  throw new InvalidInputError('BASE_TOO_DEEP', `${ref}: indexes nest too deeply`);
}

function readDiffIds(config: Uint8Array, ref: string): Digest[] {
  const obj = parseJson(config, `config of ${ref}`) as unknown as { rootfs?: { diff_ids?: unknown } };
  const ids = obj.rootfs?.diff_ids;
  if (ids !== undefined && ids !== null && !Array.isArray(ids)) {
    throw new InvalidInputError('BASE_BAD_CONFIG', `config of ${ref}: rootfs.diff_ids is not a list`);
  }
  return ((ids as unknown[] | null | undefined) ?? []).map((d) => parseDigest(String(d)));
}
