// Cold builds and warm rebuilds of one tree through @lading/layer's API, as a long-running builder (BuildKit is a
// daemon) calls it: three cold builds into a fresh store, then warm rebuilds of the unchanged tree, in this process.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Returns the median seconds of the cold builds and of the warm rebuilds. */
export async function coldAndWarmThroughApi(bench, tree, apiStore) {
  const { openLocalStore } = await import('@lading/content-store');
  const { buildLayer } = await import('@lading/layer');
  const build = async () =>
    buildLayer(tree, await openLocalStore(apiStore), {
      compression: 'gzip',
      oci: true,
      cacheDir: join(apiStore, '.lading', 'layer-cache'),
    });
  const cold = [];
  for (let i = 0; i < 3; i++) {
    await rm(apiStore, { recursive: true, force: true });
    const t = process.hrtime.bigint();
    const layer = await build();
    cold.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (layer.fromCache) throw new Error('a build into a fresh store came from the layer cache');
  }
  const warm = await bench.timeFn(async () => {
    if (!(await build()).fromCache) throw new Error('the warm rebuild missed the layer cache');
  });
  return { cold: cold.sort((a, b) => a - b)[1], warm };
}
