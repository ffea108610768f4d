import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, isLadingError } from '@lading/digest';
import { decompressStream } from '@lading/layer';
import type { MetadataKind } from './found-package.js';
import { type LayerFindings, LayerScanner, normalizeEntryName } from './layer-scanner.js';

export interface ScanTarOptions {
  readonly signal?: AbortSignal;
}

async function readBody(entry: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of entry) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * The SBOM's view of a layer blob (gzip, zstd or plain tar): every entry's header is looked at, only the metadata
 * files are read, the rest is skipped as it streams past. A hard link to a metadata file read earlier is parsed
 * from that file's bytes.
 */
export async function scanLayerTar(
  blob: AsyncIterable<Uint8Array>,
  options: ScanTarOptions = {},
): Promise<LayerFindings> {
  const { extract } = await import('tar-stream');
  const { stream } = await decompressStream(blob);
  const scanner = new LayerScanner();
  const read = new Map<string, Uint8Array>();
  const ex = extract();
  const feeding = pipeline(Readable.from(stream), ex);
  feeding.catch(() => {});
  let current: string | undefined;
  try {
    for await (const entry of ex) {
      options.signal?.throwIfAborted();
      const h = entry.header;
      const name = normalizeEntryName(h.name);
      current = name;
      const type = h.type === 'contiguous-file' ? 'file' : (h.type ?? 'file');
      let kind: MetadataKind | undefined;
      if (type === 'link') {
        kind = scanner.wants(name, 'file', 0);
        const target = read.get(normalizeEntryName(h.linkname ?? ''));
        if (kind !== undefined && target !== undefined) {
          scanner.add(name, kind, target);
          read.set(name, target);
        }
        entry.resume();
      } else {
        kind = scanner.wants(name, type, h.size ?? 0);
        if (kind !== undefined) {
          const bytes = await readBody(entry as AsyncIterable<Uint8Array>);
          scanner.add(name, kind, bytes);
          read.set(name, bytes);
        } else entry.resume();
      }
    }
    await feeding;
  } catch (error) {
    ex.destroy();
    if (isLadingError(error) || (error as Error)?.name === 'AbortError') throw error;
    throw new InvalidInputError(
      'SBOM_BAD_TAR',
      `cannot read the layer for its SBOM${current !== undefined ? ` at entry ${JSON.stringify(current)}` : ''}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  return scanner.findings();
}
