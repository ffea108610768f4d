import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, Digester, IntegrityError, InvalidInputError } from '@lading/digest';
import { decompressStream, encodeTarHeader, type TarEntryType, type TarHeader } from '@lading/layer';
import type { Header } from 'tar-stream';
import {
  type Emission,
  entryParts,
  type LayerEntry,
  MergedTree,
  planEmissions,
  planKey,
} from './merged-tree.js';
import type { OutputSink } from './output-file.js';

/** One image's filesystem to write: its layers (lowest first), under `prefix` (`linux_amd64`) or at the top. */
export interface MergedTarImage {
  readonly prefix: string;
  readonly layers: readonly { readonly open: () => AsyncIterable<Uint8Array>; readonly diffId?: Digest }[];
  /** SOURCE_DATE_EPOCH: every entry gets this time, as BuildKit's local and tar exporters set it. */
  readonly epoch?: Date;
}

export interface MergedTarOptions {
  readonly signal?: AbortSignal;
  /** The time of directories no entry gives a time to (made on the way); default now. */
  readonly now?: Date;
  readonly onEntry?: (progress: { readonly entries: number; readonly bytes: number }) => void;
}

const kinds: Record<string, TarEntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'link',
  symlink: 'symlink',
  directory: 'directory',
  fifo: 'fifo',
  'character-device': 'character-device',
  'block-device': 'block-device',
};

/** A layer header as BuildKit's tar exporter writes it (fsutil's WriteTar): no names, whole seconds, xattrs kept. */
function normalizeHeader(h: Header, epoch: number | undefined): TarHeader {
  const type = h.type ? kinds[h.type] : undefined;
  if (type === undefined) {
    throw new InvalidInputError(
      'UNSUPPORTED_TAR_ENTRY',
      `the layer's entry ${JSON.stringify(h.name)} is of a tar type an image filesystem cannot hold (${h.type ?? 'unknown'})`,
    );
  }
  const pax = (h.pax ?? {}) as Record<string, string>;
  const int = (v: string | undefined) => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined);
  const paxMtime =
    pax.mtime !== undefined && /^-?\d{1,15}(\.\d+)?$/.test(pax.mtime)
      ? Math.round(Number(pax.mtime))
      : undefined;
  const xattrs = Object.fromEntries(Object.entries(pax).filter(([k]) => k.startsWith('SCHILY.xattr.')));
  return {
    name: h.name,
    type,
    mode: (h.mode ?? 0o644) & 0o7777,
    uid: int(pax.uid) ?? h.uid ?? 0,
    gid: int(pax.gid) ?? h.gid ?? 0,
    size: type === 'file' ? (h.size ?? 0) : 0,
    mtime: epoch ?? paxMtime ?? Math.floor((h.mtime?.getTime() ?? 0) / 1000),
    ...(h.linkname ? { linkname: h.linkname } : {}),
    ...(type === 'character-device' || type === 'block-device'
      ? { devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0 }
      : {}),
    ...(Object.keys(xattrs).length > 0 ? { pax: xattrs } : {}),
  };
}

type TarEntry = AsyncIterable<Buffer> & { header: Header; resume(): unknown };

/** The entries of one layer blob (plain, gzip or zstd), its diff ID checked once the stream ends. */
async function* layerEntries(
  layer: MergedTarImage['layers'][number],
  signal: AbortSignal | undefined,
): AsyncGenerator<TarEntry> {
  const { stream } = await decompressStream(layer.open());
  const diff = new Digester('sha256');
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      diff.update(chunk);
      yield chunk;
    }
  }
  const { extract } = await import('tar-stream');
  const ex = extract();
  const feeding = pipeline(Readable.from(hashed()), ex);
  feeding.catch(() => {});
  try {
    for await (const entry of ex) yield entry as unknown as TarEntry;
    await feeding;
  } catch (error) {
    ex.destroy();
    if ((error as Error)?.name === 'AbortError' || (error as { code?: string })?.code !== undefined)
      throw error;
    throw new InvalidInputError(
      'BAD_TAR',
      `a layer is not a valid tar archive: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const got = diff.digest();
  if (layer.diffId !== undefined && got !== layer.diffId) {
    throw new IntegrityError(
      'DIFFID_MISMATCH',
      `a layer has diff ID ${got}, its image says ${layer.diffId}`,
      {
        expected: layer.diffId,
        actual: got,
      },
    );
  }
}

/**
 * Writes the merged filesystem of each image as one tar stream (BuildKit's `type=tar`): a first pass reads the
 * layers' headers to learn which entry holds each final path, a second streams those entries' bodies straight from
 * the layer blobs. No file is unpacked and nothing is held but headers, however large the layers.
 */
export async function writeMergedTar(
  images: readonly MergedTarImage[],
  sink: OutputSink,
  options: MergedTarOptions = {},
): Promise<void> {
  let entries = 0;
  let bytes = 0;
  const zeros = new Uint8Array(1024);
  const put = async (h: TarHeader) => {
    await sink.write(encodeTarHeader(h));
    entries++;
    options.onEntry?.({ entries, bytes });
  };
  /** An entry's body and its padding, checked to be the size its header says. */
  const copyBody = async (entry: TarEntry, size: number, path: string) => {
    if (size === 0) {
      entry.resume();
      return;
    }
    let got = 0;
    for await (const chunk of entry) {
      got += chunk.byteLength;
      await sink.write(chunk);
    }
    if (got !== size) {
      throw new IntegrityError(
        'TAR_ENTRY_SIZE',
        `layer entry ${path}: ${got} bytes, its header says ${size}`,
      );
    }
    bytes += got;
    const pad = (512 - (got % 512)) % 512;
    if (pad > 0) await sink.write(zeros.subarray(0, pad));
  };
  for (const image of images) {
    const epoch = image.epoch !== undefined ? Math.floor(image.epoch.getTime() / 1000) : undefined;
    const now = epoch ?? Math.floor((options.now ?? new Date()).getTime() / 1000);
    const prefix = image.prefix === '' ? '' : `${image.prefix}/`;
    if (prefix !== '') {
      // BuildKit's per-platform directory: 0755, root's, dated the epoch (or 1970).
      await put({ name: prefix, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: epoch ?? 0 });
    }
    if (image.layers.length === 1) {
      // One layer is its own merged tree: whiteouts hide nothing below it, so one pass copies it.
      const seen = new Set<string>();
      for await (const entry of layerEntries(
        image.layers[0] as MergedTarImage['layers'][number],
        options.signal,
      )) {
        const h = normalizeHeader(entry.header, epoch);
        const parts = entryParts(h.name);
        const base = parts.at(-1);
        if (base === undefined || base.startsWith('.wh.')) {
          entry.resume();
          continue;
        }
        const path = parts.join('/');
        // Parents the layer has no entry for are written as the unpacker makes them (0755, root's).
        for (let n = 1; n < parts.length; n++) {
          const parent = parts.slice(0, n).join('/');
          if (seen.has(parent)) continue;
          seen.add(parent);
          await put({
            name: `${prefix}${parent}/`,
            type: 'directory',
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: now,
          });
        }
        if (h.type === 'directory') seen.add(path);
        const linkname =
          h.type === 'link' ? `${prefix}${entryParts(h.linkname ?? '').join('/')}` : h.linkname;
        await put({
          ...h,
          name: `${prefix}${path}${h.type === 'directory' ? '/' : ''}`,
          ...(linkname !== undefined ? { linkname } : {}),
        });
        await copyBody(entry, h.size, path);
      }
      continue;
    }
    // Pass 1: headers only.
    const tree = new MergedTree();
    for (const [i, layer] of image.layers.entries()) {
      const list: LayerEntry[] = [];
      let ordinal = 0;
      for await (const entry of layerEntries(layer, options.signal)) {
        entry.resume();
        const header = normalizeHeader(entry.header, epoch);
        if (entryParts(header.name).length > 0) list.push({ layer: i, ordinal, name: header.name, header });
        ordinal++;
      }
      tree.apply(list);
    }
    const plan = planEmissions(tree);
    const written = new Set<string>();
    const directory = async (path: string) => {
      if (written.has(path)) return;
      written.add(path);
      const h = plan.directories.get(path);
      await put({
        ...(h ?? { type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: now }),
        name: `${prefix}${path}/`,
        size: 0,
      });
    };
    const parents = async (path: string) => {
      const parts = path.split('/');
      for (let n = 1; n < parts.length; n++) await directory(parts.slice(0, n).join('/'));
    };
    // Pass 2: the entries the plan keeps, in stream order.
    for (const [i, layer] of image.layers.entries()) {
      let ordinal = 0;
      for await (const entry of layerEntries(layer, options.signal)) {
        const e: Emission | undefined = plan.at.get(planKey(i, ordinal++));
        if (e === undefined || (e.header.type === 'directory' && written.has(e.path))) {
          entry.resume();
          continue;
        }
        await parents(e.path);
        if (e.header.type === 'directory') {
          entry.resume();
          await directory(e.path);
          continue;
        }
        const linkname = e.header.type === 'link' ? `${prefix}${e.header.linkname ?? ''}` : e.header.linkname;
        await put({
          ...e.header,
          name: `${prefix}${e.path}`,
          ...(linkname !== undefined ? { linkname } : {}),
        });
        if (!e.body) {
          entry.resume();
          continue;
        }
        await copyBody(entry, e.header.size, e.path);
      }
    }
    // Directories no entry placed (made on the way, emptied by a whiteout since).
    for (const path of plan.directories.keys()) {
      await parents(path);
      await directory(path);
    }
  }
  await sink.write(zeros);
}
