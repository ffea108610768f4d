import { compareApiVersions } from './api-version.js';
import type { EngineApi } from './engine-api.js';
import { readCapped } from './engine-api.js';
import { apiError } from './errors.js';
import type { EngineTransport } from './transport.js';
import type { EngineInfo, EnginePing, EngineVersion } from './types.js';

/** How long a ping may stay unanswered before the daemon counts as unreachable. */
const pingTimeoutMs = 30_000;

function header(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

/** `GET /_ping` (unversioned): is a daemon there, and which API version does it speak? */
export async function ping(
  transport: EngineTransport,
  options: { signal?: AbortSignal } = {},
): Promise<EnginePing> {
  const res = await transport.request({
    method: 'GET',
    path: '/_ping',
    idleTimeoutMs: pingTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = await readCapped(res.body, 64 << 10, transport.endpoint.address);
  // A daemon that answers 500 still says its version (moby's client negotiates from it all the same).
  if (res.status >= 400 && header(res.headers['api-version']) === undefined) {
    throw apiError(res.status, body.toString('utf8'), {
      what: `pinging the Docker Engine at ${transport.endpoint.address}`,
      address: transport.endpoint.address,
    });
  }
  const apiVersion = header(res.headers['api-version']);
  const osType = header(res.headers.ostype);
  const builderVersion = header(res.headers['builder-version']);
  return {
    ...(apiVersion ? { apiVersion } : {}),
    ...(osType ? { osType } : {}),
    experimental: header(res.headers['docker-experimental']) === 'true',
    ...(builderVersion ? { builderVersion } : {}),
  };
}

/** `GET /version`. */
export function version(api: EngineApi, options: { signal?: AbortSignal } = {}): Promise<EngineVersion> {
  return api.callJson<EngineVersion>({
    method: 'GET',
    path: '/version',
    what: 'reading the Docker Engine version',
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** `GET /info`. */
export function info(api: EngineApi, options: { signal?: AbortSignal } = {}): Promise<EngineInfo> {
  return api.callJson<EngineInfo>({
    method: 'GET',
    path: '/info',
    what: 'reading the Docker Engine info',
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Whether the daemon keeps images in containerd (Docker's containerd image store) rather than its graph driver. */
export function usesContainerdStore(engineInfo: EngineInfo): boolean {
  return (engineInfo.DriverStatus ?? []).some(
    ([k, v]) => k === 'driver-type' && typeof v === 'string' && v.startsWith('io.containerd.snapshotter'),
  );
}

/**
 * `usesContainerdStore` of the daemon, asking `/info` (a costly call) only of daemons new enough to have that store:
 * it came with Docker 24 (API 1.43).
 */
export async function engineUsesContainerdStore(
  api: EngineApi & { apiVersion(options?: { signal?: AbortSignal }): Promise<string> },
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  if (compareApiVersions(await api.apiVersion(options), '1.43') < 0) return false;
  return usesContainerdStore(await info(api, options));
}
