export { compareApiVersions, maxApiVersion, minApiVersion, negotiateApiVersion } from './api-version.js';
export type { DockerContext } from './context.js';
export { readCurrentContext } from './context.js';
export type { DockerArchiveInput, DockerArchiveOptions, EngineLayer } from './docker-archive.js';
export { dockerArchiveStream, planDockerArchive } from './docker-archive.js';
export type { EngineEndpoint, EngineTls, ResolveEndpointOptions } from './endpoint.js';
export { defaultDockerHost, dockerConfigDir, parseDockerHost, resolveEngineEndpoint } from './endpoint.js';
export type { EngineApi, EngineCall } from './engine-api.js';
export type { EngineClientOptions } from './engine-client.js';
export { EngineClient, openEngineClient } from './engine-client.js';
export type { EngineErrorOptions } from './errors.js';
export { cleanDaemonText, EngineError, isEngineError, isEngineUnreachable } from './errors.js';
export type { ImageLayers } from './held-layers.js';
export { findHeldChains, listImageLayers } from './held-layers.js';
export type { LoadArchiveOptions, LoadArchiveResult } from './image-load.js';
export type { ListImagesOptions, RemovedImage } from './images.js';
export { messageError, readJsonMessages } from './json-messages.js';
export type { LoadImageInput, LoadImageOptions, LoadImageProgress, LoadImageResult } from './load-image.js';
export { loadImage } from './load-image.js';
export type { LoadStreamLayer } from './load-stream.js';
export { LoadStream } from './load-stream.js';
export { engineUsesContainerdStore, usesContainerdStore } from './system.js';
export { checkEngineTag, parseEngineTag } from './tag-rules.js';
export type { EngineRequest, EngineResponse } from './transport.js';
export type {
  EngineInfo,
  EnginePing,
  EngineVersion,
  ImageInspect,
  ImageSummary,
  JsonMessage,
} from './types.js';
