import { type Descriptor, normalizePlatform, type Platform, platformMatches } from '@lading/digest';
import type { ImageIndex } from './types.js';

function score(want: Platform, have: Platform): number {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  let s = 0;
  if (w.variant !== undefined && h.variant === w.variant) s += 4;
  else if (w.variant !== undefined && h.variant !== undefined) s += 2; // compatible older arm variant
  if (w['os.version'] !== undefined && h['os.version'] === w['os.version']) s += 1;
  return s;
}

/**
 * The index entry for `platform`: entries must match (os, architecture, compatible variant, equal os.version
 * when both name one); among matches an exact variant wins, then a newer compatible arm variant, then an exact
 * os.version; ties keep index order. Undefined when nothing matches.
 */
export function selectPlatform(index: ImageIndex, platform: Platform): Descriptor | undefined {
  let best: { d: Descriptor; s: number; v: string } | undefined;
  for (const d of index.manifests) {
    if (d.platform === undefined || !platformMatches(platform, d.platform)) continue;
    const s = score(platform, d.platform);
    const v = normalizePlatform(d.platform).variant ?? '';
    if (best === undefined || s > best.s || (s === best.s && s >= 2 && s < 4 && v > best.v))
      best = { d, s, v };
  }
  return best?.d;
}
