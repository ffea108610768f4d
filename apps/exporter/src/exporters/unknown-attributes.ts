import { distance } from 'fastest-levenshtein';

/**
 * Whether `key` is one of `known`: an exact key, or under a prefix written with a trailing `*` (`annotation*`).
 */
export function isKnownAttribute(key: string, known: readonly string[]): boolean {
  return known.some((k) => (k.endsWith('*') ? key.startsWith(k.slice(0, -1)) : key === k));
}

/** The known key closest to `key`, when it is close enough to be a typo (`compresion` -> `compression`). */
export function suggestAttribute(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const candidate = k.endsWith('*') ? k.slice(0, -1) : k;
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // One edit in four characters, at least one: `nmae` -> `name`, but `bogus` suggests nothing.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * The warnings an output's unknown attributes deserve (BuildKit's exporters ignore such keys, moby logs "unknown
 * option"; a typo like `compresion=zstd` would otherwise pass unseen), each with a suggestion when one is close.
 */
export function unknownAttributeWarnings(
  type: string,
  attrs: Readonly<Record<string, string>>,
  known: readonly string[],
): string[] {
  const warnings: string[] = [];
  for (const key of Object.keys(attrs)) {
    if (isKnownAttribute(key, known)) continue;
    const near = suggestAttribute(key, known);
    warnings.push(
      `type=${type}: unknown option ${JSON.stringify(key)} ignored${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`,
    );
  }
  return warnings;
}
