import type { EngineApi } from './engine-api.js';
import { cleanDaemonText, EngineError } from './errors.js';
import { messageError, readJsonMessages } from './json-messages.js';
import type { JsonMessage } from './types.js';

export interface LoadArchiveOptions {
  readonly signal?: AbortSignal;
  /** Each message of the daemon's stream (progress of "Loading layer", "Loaded image: ..."). */
  readonly onMessage?: (message: JsonMessage) => void;
}

export interface LoadArchiveResult {
  /** `Loaded image ID: sha256:...` lines (the daemon prints them for images it tagged with no name). */
  readonly imageIds: readonly string[];
  /** `Loaded image: NAME` lines. */
  readonly names: readonly string[];
}

/**
 * `POST /images/load`: the daemon reads a docker-archive (`docker save`'s format) from `archive`, streamed as it is
 * produced. Its answer is a JSON stream with status 200 even on failure: an `error` message there is an
 * EngineError (`ENGINE_LOAD_REFUSED`) with the daemon's words.
 */
export async function loadArchive(
  api: EngineApi,
  archive: AsyncIterable<Uint8Array>,
  options: LoadArchiveOptions = {},
): Promise<LoadArchiveResult> {
  const res = await api.call({
    method: 'POST',
    path: '/images/load',
    // quiet=0 asks for progress messages; quiet=1 for the final lines only.
    query: { quiet: options.onMessage ? '0' : '1' },
    headers: { 'Content-Type': 'application/x-tar' },
    body: archive,
    what: 'loading the image into the Docker Engine',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const imageIds: string[] = [];
  const names: string[] = [];
  for await (const message of readJsonMessages(res.body, api.address)) {
    const error = messageError(message);
    if (error !== undefined) {
      res.body.destroy();
      throw new EngineError(
        'ENGINE_LOAD_REFUSED',
        `the Docker Engine at ${api.address} refused the image: ${cleanDaemonText(error)}`,
        { address: api.address },
      );
    }
    options.onMessage?.(message);
    for (const line of (message.stream ?? '').split('\n')) {
      const id = /^Loaded image ID: (\S+)/.exec(line)?.[1];
      if (id !== undefined) imageIds.push(id);
      const name = /^Loaded image: (\S+)/.exec(line)?.[1];
      if (name !== undefined) names.push(name);
    }
  }
  return { imageIds, names };
}
