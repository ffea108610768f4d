import type { Reference } from '@lading/reference-store/reference';
import { negotiateApiVersion, parseApiVersionOverride } from './api-version.js';
import { type EngineEndpoint, type ResolveEndpointOptions, resolveEngineEndpoint } from './endpoint.js';
import { type EngineApi, type EngineCall, readCapped } from './engine-api.js';
import { apiError, EngineError } from './errors.js';
import { type LoadArchiveOptions, type LoadArchiveResult, loadArchive } from './image-load.js';
import { saveImage } from './image-save.js';
import {
  findImage,
  inspectImage,
  type ListImagesOptions,
  listImages,
  type RemovedImage,
  removeImage,
  tagImage,
} from './images.js';
import { info, ping, version } from './system.js';
import { type EngineResponse, EngineTransport } from './transport.js';
import type { EngineInfo, EnginePing, EngineVersion, ImageInspect, ImageSummary } from './types.js';

export interface EngineClientOptions extends ResolveEndpointOptions {
  /** A fixed API version, used without negotiation; default `DOCKER_API_VERSION`, else negotiated. */
  readonly apiVersion?: string;
}

type Signal = { signal?: AbortSignal };

/**
 * A Docker Engine API client, after moby's `client` package: the daemon found as the docker CLI finds it
 * (`resolveEngineEndpoint`), its API version negotiated once on the first call (`/_ping`, capped at
 * `maxApiVersion`; `DOCKER_API_VERSION` fixes it), one method per call, errors typed. Call `close()` when done.
 */
export class EngineClient implements EngineApi {
  readonly endpoint: EngineEndpoint;
  readonly #transport: EngineTransport;
  readonly #fixedVersion: string | undefined;
  #negotiated: Promise<string> | undefined;

  constructor(endpoint: EngineEndpoint, options: { apiVersion?: string } = {}) {
    this.endpoint = endpoint;
    this.#transport = new EngineTransport(endpoint);
    this.#fixedVersion = options.apiVersion;
  }

  get address(): string {
    return this.endpoint.address;
  }

  /** The API version requests use: fixed, or negotiated with the daemon on first use. */
  apiVersion(options: Signal = {}): Promise<string> {
    if (this.#fixedVersion !== undefined) return Promise.resolve(this.#fixedVersion);
    if (this.#negotiated === undefined) {
      const negotiating = ping(this.#transport, options).then((p) =>
        negotiateApiVersion(p.apiVersion, this.address),
      );
      this.#negotiated = negotiating;
      // A failed negotiation (no daemon yet) is tried again on the next call.
      negotiating.catch(() => {
        if (this.#negotiated === negotiating) this.#negotiated = undefined;
      });
    }
    return this.#negotiated;
  }

  async call(call: EngineCall): Promise<EngineResponse> {
    const v = await this.apiVersion(call.signal ? { signal: call.signal } : {});
    const { what, path, ...rest } = call;
    const res = await this.#transport.request({ ...rest, path: `/v${v}${path}` });
    if (res.status < 400) return res;
    const body = await readCapped(res.body, 64 << 10, this.address).catch(() => Buffer.alloc(0));
    let message = body.toString('utf8');
    try {
      const parsed = JSON.parse(message) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // not JSON: the text as it came
    }
    throw apiError(res.status, message, { what, address: this.address });
  }

  async callJson<T>(call: EngineCall & { readonly maxBytes?: number }): Promise<T> {
    const { maxBytes, ...rest } = call;
    const res = await this.call(rest);
    const body = await readCapped(res.body, maxBytes ?? 16 << 20, this.address);
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (cause) {
      throw new EngineError('ENGINE_BAD_ANSWER', `${call.what}: the daemon's answer is not JSON`, {
        address: this.address,
        cause,
      });
    }
  }

  /** `GET /_ping` (also when the API version is fixed). */
  ping(options: Signal = {}): Promise<EnginePing> {
    return ping(this.#transport, options);
  }
  version(options: Signal = {}): Promise<EngineVersion> {
    return version(this, options);
  }
  info(options: Signal = {}): Promise<EngineInfo> {
    return info(this, options);
  }
  inspectImage(name: string, options: Signal = {}): Promise<ImageInspect> {
    return inspectImage(this, name, options);
  }
  /** `inspectImage`, or undefined when there is no such image. */
  findImage(name: string, options: Signal = {}): Promise<ImageInspect | undefined> {
    return findImage(this, name, options);
  }
  listImages(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    return listImages(this, options);
  }
  tagImage(source: string, ref: Reference, options: Signal = {}): Promise<void> {
    return tagImage(this, source, ref, options);
  }
  removeImage(
    name: string,
    options: { force?: boolean; noPrune?: boolean; signal?: AbortSignal } = {},
  ): Promise<RemovedImage[]> {
    return removeImage(this, name, options);
  }
  loadArchive(
    archive: AsyncIterable<Uint8Array>,
    options: LoadArchiveOptions = {},
  ): Promise<LoadArchiveResult> {
    return loadArchive(this, archive, options);
  }
  saveImage(name: string, options: Signal = {}): ReturnType<typeof saveImage> {
    return saveImage(this, name, options);
  }

  close(): void {
    this.#transport.close();
  }
}

/**
 * A client for the daemon the environment names (DOCKER_HOST, DOCKER_CONTEXT or the config's current context, else
 * the default socket; DOCKER_API_VERSION). Nothing is sent yet: the first call connects.
 */
export async function openEngineClient(options: EngineClientOptions = {}): Promise<EngineClient> {
  const env = options.env ?? process.env;
  const endpoint = await resolveEngineEndpoint(options);
  const fixed =
    options.apiVersion !== undefined
      ? parseApiVersionOverride(options.apiVersion)
      : env.DOCKER_API_VERSION
        ? parseApiVersionOverride(env.DOCKER_API_VERSION)
        : undefined;
  return new EngineClient(endpoint, fixed !== undefined ? { apiVersion: fixed } : {});
}
