import { stat } from 'node:fs/promises';
import { type Provider, readBlob } from '@lading/content-store';
import {
  type Descriptor,
  digestEncoded,
  digestOf,
  encodeRawMap,
  goString,
  InvalidInputError,
  maxConfigBytes,
  parseJsonObject,
  splitObject,
} from '@lading/digest';
import { decodeManifest, maxManifestBytes } from '@lading/manifest';
import { parseNormalizedReference } from '@lading/reference-store/reference';
import { type FileWriteOptions, verifiedRead, writeArchiveAtomically } from './write-image.js';

// What containers/image copies from the image config into the top legacy layer's `json`.
const legacyConfigKeys = [
  'architecture',
  'config',
  'container',
  'container_config',
  'created',
  'docker_version',
  'os',
];

/**
 * `docker-archive:FILE[:NAME:TAG]`: `docker save`'s format as containers/image writes it: each layer uncompressed
 * as `<diffID hex>.tar`, the config as `<hex>.json`, `manifest.json` (Config, RepoTags, Layers), `repositories`,
 * and the legacy one-directory-per-layer entries (`VERSION`, `json`, `layer.tar` -> the layer) older loaders read.
 * The image must already be a Docker schema2 manifest with uncompressed layers (see prepareImage).
 */
export async function writeDockerArchive(
  file: string,
  ref: string | undefined,
  provider: Provider,
  root: Descriptor,
  options: FileWriteOptions,
): Promise<void> {
  // As containers/image: a docker-archive is written once; an existing non-empty file is not replaced.
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isFile() && existing.size > 0) {
    throw new InvalidInputError(
      'ARCHIVE_EXISTS',
      `${file}: docker-archive doesn't support modifying existing images`,
    );
  }
  const manifest = decodeManifest(await readBlob(provider, root, { maxBytes: maxManifestBytes }), {
    expected: root,
  }).value;
  const configBytes = await readBlob(provider, manifest.config, { maxBytes: maxConfigBytes });
  let config: Map<string, string>;
  try {
    // containers/image reads it as a map[string]*json.RawMessage: each value's own bytes are copied.
    const text = new TextDecoder().decode(configBytes);
    parseJsonObject(text, { what: `config ${manifest.config.digest}` });
    config = splitObject(text);
  } catch (cause) {
    throw new InvalidInputError('CONFIG_INVALID', `config ${manifest.config.digest} is not JSON`, { cause });
  }
  const enc = new TextEncoder();
  const layerPath = (d: Descriptor) => `${digestEncoded(d.digest)}.tar`;
  const configPath = `${digestEncoded(manifest.config.digest)}.json`;
  await writeArchiveAtomically(
    file,
    async (tar) => {
      const written = new Set<string>();
      for (const layer of manifest.layers) {
        if (written.has(layer.digest)) continue;
        written.add(layer.digest);
        options.signal?.throwIfAborted();
        options.onProgress?.(`Copying blob ${layer.digest}`);
        await tar.file(layerPath(layer), layer.size, verifiedRead(provider, layer, options.signal));
      }
      options.onProgress?.(`Copying config ${manifest.config.digest}`);
      await tar.bytes(configPath, configBytes);
      // Legacy layer directories, named by chain ID so a layer repeated in the image never loops its parents.
      let chainId = '';
      let lastId = '';
      for (const [i, layer] of manifest.layers.entries()) {
        chainId = chainId === '' ? layer.digest : digestOf(`${chainId} ${layer.digest}`);
        const id = digestEncoded(chainId as Descriptor['digest']);
        // containers/image's layerConfig, a map[string]any json.Marshal writes: keys sorted, raw values compacted
        // and HTML-escaped (docker/internal/tarfile/writer.go).
        const legacy = new Map<string, string>([['id', goString(id)]]);
        if (lastId !== '') legacy.set('parent', goString(lastId));
        if (i === manifest.layers.length - 1)
          for (const k of legacyConfigKeys) legacy.set(k, config.get(k) ?? 'null');
        await tar.symlink(`${id}/layer.tar`, `../${layerPath(layer)}`);
        await tar.bytes(`${id}/VERSION`, enc.encode('1.0'));
        await tar.bytes(`${id}/json`, enc.encode(encodeRawMap(legacy)));
        lastId = id;
      }
      options.onProgress?.('Writing manifest to image destination');
      const repoTags = ref === undefined ? [] : [ref];
      await tar.bytes(
        'manifest.json',
        enc.encode(
          JSON.stringify([
            { Config: configPath, RepoTags: repoTags, Layers: manifest.layers.map(layerPath) },
          ]),
        ),
      );
      const repositories: Record<string, Record<string, string>> = {};
      if (ref !== undefined && lastId !== '') {
        const r = parseNormalizedReference(ref);
        repositories[`${r.registry}/${r.repository}`] = { [r.tag ?? 'latest']: lastId };
      }
      await tar.bytes('repositories', enc.encode(JSON.stringify(repositories)));
      await tar.end();
    },
    { fileMode: 0o444 },
  );
}
