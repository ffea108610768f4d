import { isNotFoundError } from '@lading/digest';
import { familiarString, type Reference, withDefaultTag } from '@lading/reference-store/reference';
import type { EngineApi } from './engine-api.js';
import { checkEngineTag } from './tag-rules.js';
import type { ImageInspect, ImageSummary } from './types.js';

/** An image name or ID in a URL path: the reference grammar's `/`, `:` and `@` stay, anything else is escaped. */
export function imagePath(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');
}

const sig = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

/** `GET /images/{name}/json`: NotFoundError when the daemon has no such image. */
export function inspectImage(
  api: EngineApi,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<ImageInspect> {
  return api.callJson<ImageInspect>({
    method: 'GET',
    path: `/images/${imagePath(name)}/json`,
    what: `inspecting image ${name}`,
    ...sig(options.signal),
  });
}

/** `inspectImage`, or undefined when the daemon has no such image. */
export async function findImage(
  api: EngineApi,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<ImageInspect | undefined> {
  try {
    return await inspectImage(api, name, options);
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

export interface ListImagesOptions {
  /** Intermediate images too (`all=1`). */
  readonly all?: boolean;
  /** The API's filters, e.g. `{ reference: ['app'] }`. */
  readonly filters?: Readonly<Record<string, readonly string[]>>;
  readonly signal?: AbortSignal;
}

/** `GET /images/json`. */
export function listImages(api: EngineApi, options: ListImagesOptions = {}): Promise<ImageSummary[]> {
  const filters: Record<string, Record<string, boolean>> = {};
  for (const [k, values] of Object.entries(options.filters ?? {})) {
    filters[k] = Object.fromEntries(values.map((v) => [v, true]));
  }
  return api.callJson<ImageSummary[]>({
    method: 'GET',
    path: '/images/json',
    query: {
      ...(options.all ? { all: '1' } : {}),
      ...(Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : {}),
    },
    what: 'listing images',
    maxBytes: 64 << 20,
    ...sig(options.signal),
  });
}

/**
 * `POST /images/{source}/tag`: names `source` (an ID or name) `ref` (`name` alone is `name:latest`). The tag moves
 * if it named another image, as `docker tag` does. A name moby's reference store refuses is refused here first.
 */
export async function tagImage(
  api: EngineApi,
  source: string,
  ref: Reference,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const tagged = withDefaultTag(checkEngineTag(ref));
  const res = await api.call({
    method: 'POST',
    path: `/images/${imagePath(source)}/tag`,
    query: { repo: `${tagged.registry}/${tagged.repository}`, tag: tagged.tag },
    what: `tagging ${source} as ${familiarString(tagged)}`,
    ...sig(options.signal),
  });
  res.body.resume();
}

export interface RemovedImage {
  readonly Untagged?: string;
  readonly Deleted?: string;
}

/** `DELETE /images/{name}`: untags, and deletes the image once no name is left (`force` also when in use). */
export function removeImage(
  api: EngineApi,
  name: string,
  options: { force?: boolean; noPrune?: boolean; signal?: AbortSignal } = {},
): Promise<RemovedImage[]> {
  return api.callJson<RemovedImage[]>({
    method: 'DELETE',
    path: `/images/${imagePath(name)}`,
    query: {
      ...(options.force ? { force: '1' } : {}),
      ...(options.noPrune ? { noprune: '1' } : {}),
    },
    what: `removing image ${name}`,
    ...sig(options.signal),
  });
}
