import type { Digest } from '@lading/digest';
import type { Provider } from './types.js';

/**
 * One provider over several, BuildKit's multiprovider (`util/contentutil/multiprovider.go`): each blob is read from
 * the first provider that holds it (its `info` answers), so converted or rewritten blobs in a scratch store shadow
 * the source's, and a working store reads through to a base image's provider. When none holds it, the last one
 * answers (its `NotFoundError`).
 */
export function overlayProvider(...providers: readonly Provider[]): Provider {
  const last = providers[providers.length - 1];
  if (last === undefined) throw new TypeError('overlayProvider needs at least one provider');
  if (providers.length === 1) return last;
  const holder = async (digest: Digest): Promise<Provider> => {
    for (const p of providers.slice(0, -1)) {
      try {
        await p.info(digest);
        return p;
      } catch {
        // not here (or unreadable here): the next provider may hold it
      }
    }
    return last;
  };
  return {
    async info(digest) {
      return (await holder(digest)).info(digest);
    },
    async *read(ref, options) {
      yield* (await holder(ref.digest)).read(ref, options);
    },
  };
}
