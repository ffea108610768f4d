import { defaultPlatform, normalizePlatform, type Platform } from '@lading/digest';
import { encodeImageConfig } from './encode.js';
import type { ImageConfig } from './types.js';

const unixPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The PATH a container gets when the image sets none (moby's system.DefaultPathEnv): empty on Windows. */
export function defaultPathEnv(os: string): string {
  return os === 'windows' ? '' : unixPath;
}

/**
 * The config an exporter starts from when the build gave none (moby's `emptyImageConfig`): the normalised platform,
 * `rootfs.type = layers`, `WorkingDir` `/`, and the default PATH.
 */
export function emptyImageConfig(platform: Platform = defaultPlatform()): ImageConfig {
  const p = normalizePlatform(platform);
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: { Env: [`PATH=${defaultPathEnv(p.os)}`], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: null },
  };
}

/** The bytes of `emptyImageConfig`, exactly as Go's json.Marshal writes them. */
export function emptyImageConfigBytes(platform?: Platform): Uint8Array {
  return encodeImageConfig(emptyImageConfig(platform));
}
