import { PassThrough } from 'node:stream';
import { type Digest, IntegrityError, InvalidInputError } from '@lading/digest';
import { archiveHeader, archivePadding } from './docker-archive.js';
import type { EngineClient } from './engine-client.js';
import type { LoadArchiveResult } from './image-load.js';

/** One layer's bytes going into a `LoadStream` while the layer is built. */
export interface LoadStreamLayer {
  /** The next tar bytes; resolves when the daemon can take more. The chunk must not change afterwards. */
  write(chunk: Uint8Array): Promise<void>;
  /** Every byte was written: the layer is in the archive, known by its diff ID. */
  end(diffId: Digest): Promise<void>;
}

/**
 * A `POST /images/load` opened before the image is complete, so that a layer goes to the daemon while it is being
 * built instead of after. moby's loader untars the whole archive into a temporary directory before it reads
 * `manifest.json` (`image/tarexport/load.go`), so the layers may come first, as soon as they are made, and the config
 * and manifest last (`finish`). Nothing is registered until the archive is complete: an abort, or a failure of any
 * kind, leaves the daemon as it was.
 */
export class LoadStream {
  readonly #body = new PassThrough({ highWaterMark: 4 << 20 });
  readonly #result: Promise<LoadArchiveResult>;
  readonly #written = new Map<Digest, string>();
  #failure: unknown;
  #layerOpen = false;
  #finished = false;
  #count = 0;
  #bytes = 0;

  constructor(engine: EngineClient, options: { readonly signal?: AbortSignal } = {}) {
    // A destroyed body is reported through the request; this keeps the stream's own 'error' from being unhandled.
    this.#body.on('error', () => {});
    this.#result = engine.loadArchive(this.#body, options.signal ? { signal: options.signal } : {});
    this.#result.catch((error: unknown) => {
      this.#failure ??= error;
      this.#body.destroy();
    });
  }

  /** Layer bytes sent so far (archive framing not counted). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Where the layer with this diff ID is in the archive, if it was streamed. */
  pathOf(diffId: Digest): string | undefined {
    return this.#written.get(diffId);
  }

  /** Starts the next layer's entry: exactly `size` tar bytes must follow. One layer at a time. */
  async layer(size: number): Promise<LoadStreamLayer> {
    if (this.#layerOpen || this.#finished) {
      throw new InvalidInputError(
        'LOAD_STREAM_BUSY',
        'a layer is being written to the Docker Engine already',
      );
    }
    this.#layerOpen = true;
    const path = `layer-${this.#count++}.tar`;
    await this.#put(archiveHeader(path, size));
    let sent = 0;
    return {
      write: async (chunk) => {
        if (sent + chunk.byteLength > size) {
          const error = sizeError(path, size, sent + chunk.byteLength);
          this.abort(error);
          throw error;
        }
        sent += chunk.byteLength;
        this.#bytes += chunk.byteLength;
        await this.#put(chunk);
      },
      end: async (diffId) => {
        if (sent !== size) {
          const error = sizeError(path, size, sent);
          this.abort(error);
          throw error;
        }
        const pad = archivePadding(size);
        if (pad) await this.#put(pad);
        this.#written.set(diffId, path);
        this.#layerOpen = false;
      },
    };
  }

  /** Writes the rest of the archive (other layers, the config, `manifest.json`, the end) and waits for the daemon. */
  async finish(rest: AsyncIterable<Uint8Array>): Promise<LoadArchiveResult> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#layerOpen) {
      throw new InvalidInputError('LOAD_STREAM_BUSY', 'a streamed layer was not finished');
    }
    this.#finished = true;
    try {
      for await (const chunk of rest) await this.#put(chunk);
    } catch (error) {
      this.abort(error);
      throw error;
    }
    this.#body.end();
    return this.#result;
  }

  /** Drops the load: the request is cut, and the daemon discards what it untarred. Never throws. */
  abort(reason: unknown): void {
    this.#finished = true;
    this.#failure ??= reason;
    this.#body.destroy();
  }

  async #put(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#body.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#body.off('drain', done);
          this.#body.off('close', done);
          resolve();
        };
        this.#body.on('drain', done);
        this.#body.on('close', done);
      });
      if (this.#failure !== undefined) throw this.#failure;
    }
  }
}

function sizeError(path: string, size: number, got: number): IntegrityError {
  return new IntegrityError(
    'LAYER_SIZE_MISMATCH',
    `${path}: ${got} bytes of a layer announced as ${size}; a file changed while the layer was built`,
    { expected: String(size), actual: String(got) },
  );
}
