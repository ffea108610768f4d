#!/usr/bin/env node
// Turns a directory into a one-layer image in an OCI image layout, with the lading packages:
//   node tools/demo/write-layout.mjs [ROOTFS=examples/hello-rootfs] [LAYOUT=out] [NAME=hello]
// then: skopeo inspect oci:out:hello   or   umoci unpack --rootless --image out:hello bundle
import { resolve } from 'node:path';
import { openLocalStore, writeBlob } from '@lading/content-store';
import { AnnotationRefName, exitCodeFor, MediaType } from '@lading/digest';
import {
  emptyImageConfig,
  encodeImageConfig,
  normalizeLayersAndHistory,
  patchImageConfig,
  withCmd,
} from '@lading/image-config';
import { buildLayer } from '@lading/layer';

const [rootfs = 'examples/hello-rootfs', layoutDir = 'out', name = 'hello'] = process.argv.slice(2);

try {
  const started = performance.now();
  const store = await openLocalStore(resolve(layoutDir));
  const layer = await buildLayer(resolve(rootfs), store, {
    compression: 'gzip',
    oci: true,
    cacheDir: resolve(layoutDir, '.lading', 'layer-cache'),
  });
  const base = encodeImageConfig(withCmd(emptyImageConfig(), ['cat', '/usr/share/hello/greeting.txt']));
  const now = new Date().toISOString();
  const { diffIds, history } = normalizeLayersAndHistory([layer.diffId], undefined, [
    { createdAt: now, description: `COPY ${rootfs} /` },
  ]);
  const configBytes = patchImageConfig(base, diffIds, history);
  const config = await writeBlob(store, configBytes, { mediaType: MediaType.ociConfig });
  const manifestBytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [layer.descriptor],
    }),
  );
  const manifest = await writeBlob(store, manifestBytes, { mediaType: MediaType.ociManifest });
  await store.updateIndex((index) => ({
    ...index,
    manifests: [
      ...index.manifests.filter((m) => m.annotations?.[AnnotationRefName] !== name),
      { ...manifest, annotations: { [AnnotationRefName]: name } },
    ],
  }));
  const result = {
    layout: resolve(layoutDir),
    name,
    manifest: manifest.digest,
    config: config.digest,
    layer: { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size },
    layerFromCache: layer.fromCache,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
  console.error(`wrote ${name} to ${layoutDir}; try: skopeo inspect oci:${layoutDir}:${name}`);
} catch (error) {
  console.error(`lading demo: ${error?.message ?? error}`);
  process.exit(exitCodeFor(error));
}
