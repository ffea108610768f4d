import type { Readable } from 'node:stream';
import type { EngineApi } from './engine-api.js';
import { imagePath } from './images.js';

/**
 * `GET /images/{name}/get`: the image (and its names) as a docker-archive stream, as `docker save` writes it.
 * NotFoundError when the daemon has no such image; the stream is the daemon's, read it or destroy it.
 */
export async function saveImage(
  api: EngineApi,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<Readable> {
  const res = await api.call({
    method: 'GET',
    path: `/images/${imagePath(name)}/get`,
    what: `saving image ${name} from the Docker Engine`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return res.body;
}
