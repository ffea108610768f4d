import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provider } from '@lading/content-store';
import { digestEncoded } from '@lading/digest';
import type { TreeEntry } from '@lading/layer';
import {
  encodeSpdxDocument,
  type LayerFindings,
  LayerScanner,
  mergeLayerFindings,
  scanLayerTar,
  treeObserver,
} from '@lading/sbom';
import type { ExportLayer } from '../../plugin/types.js';
import { ladingVersion } from './lading-version.js';

/** Bumped when the findings of a layer would come out differently (a new cataloger, another parse). */
const findingsVersion = 'lading-sbom-findings-v1';

export interface ImageSbomOptions {
  /** Where a layer's findings are kept by diff ID, so a cached or base layer is read once. */
  readonly cacheDir?: string;
  readonly signal?: AbortSignal;
  readonly onWarning?: (message: string) => void;
}

/**
 * The SBOM of one image: the layers this build walks report their package files through `observer(i)`; the rest
 * (base-image layers, tarballs, layers the cache answered) are read from their blobs, only the entries that matter,
 * and remembered by diff ID.
 */
export class ImageSbom {
  readonly #walked = new Map<number, LayerScanner>();
  readonly #options: ImageSbomOptions;

  constructor(options: ImageSbomOptions = {}) {
    this.#options = options;
  }

  /** The observer for input layer `i`'s walk (`TarOptions.observe`). */
  observer(i: number): (name: string, entry: TreeEntry) => void {
    const scanner = new LayerScanner();
    this.#walked.set(i, scanner);
    return treeObserver(scanner);
  }

  /** Input layer `i` was not walked (a cache or --cache-from answered): its blob is read instead. */
  notWalked(i: number): void {
    this.#walked.delete(i);
  }

  async #cached(layer: ExportLayer): Promise<LayerFindings | undefined> {
    if (this.#options.cacheDir === undefined) return undefined;
    try {
      const record = JSON.parse(
        await readFile(join(this.#options.cacheDir, `${digestEncoded(layer.diffId)}.json`), 'utf8'),
      ) as { version?: string; findings?: LayerFindings };
      return record.version === findingsVersion && record.findings?.version === 1
        ? record.findings
        : undefined;
    } catch {
      return undefined;
    }
  }

  async #remember(layer: ExportLayer, findings: LayerFindings): Promise<void> {
    const dir = this.#options.cacheDir;
    if (dir === undefined) return;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${digestEncoded(layer.diffId)}.json`);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: findingsVersion, findings }));
    await rename(tmp, file);
  }

  /** Each layer's findings, lowest first: `inputStart` is the index in `layers` of input layer 0. */
  async layerFindings(
    layers: readonly ExportLayer[],
    provider: Provider,
    inputStart: number,
  ): Promise<LayerFindings[]> {
    const out: LayerFindings[] = [];
    for (const [k, layer] of layers.entries()) {
      this.#options.signal?.throwIfAborted();
      const walked = k >= inputStart ? this.#walked.get(k - inputStart) : undefined;
      const remembered = walked === undefined ? await this.#cached(layer) : undefined;
      const findings =
        walked?.findings() ??
        remembered ??
        (await scanLayerTar(
          provider.read(layer.descriptor, this.#options.signal ? { signal: this.#options.signal } : {}),
          this.#options.signal ? { signal: this.#options.signal } : {},
        ));
      if (remembered === undefined) await this.#remember(layer, findings);
      out.push(findings);
    }
    return out;
  }

  /** The SPDX 2.3 document of the image the layers make (BuildKit's scanner names it `sbom`). */
  async document(
    layers: readonly ExportLayer[],
    provider: Provider,
    inputStart: number,
    options: { readonly created: Date },
  ): Promise<Uint8Array> {
    const inventory = mergeLayerFindings(await this.layerFindings(layers, provider, inputStart));
    for (const w of inventory.warnings) this.#options.onWarning?.(`sbom: ${w}`);
    return encodeSpdxDocument(inventory, {
      name: 'sbom',
      created: options.created,
      creators: ['Organization: lading', `Tool: lading-${ladingVersion()}`],
    });
  }
}
