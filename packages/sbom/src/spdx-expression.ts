import { createHash } from 'node:crypto';
import parseSpdx from 'spdx-expression-parse';

/** A declared license as SPDX has it: a valid expression, or a LicenseRef with the text it stands for. */
export type SpdxLicense = { readonly expression: string } | { readonly ref: string; readonly text: string };

function valid(expression: string): boolean {
  try {
    parseSpdx(expression);
    return true;
  } catch {
    return false;
  }
}

/**
 * A declared license as an SPDX license expression: as written when it is one (`MIT`, `(MIT OR Apache-2.0)`),
 * a list of valid identifiers (Alpine writes `MIT BSD-3-Clause`) joined with AND, else a `LicenseRef-` made from
 * the text (SPDX's way to name a license outside its list).
 */
export function spdxLicense(declared: string): SpdxLicense {
  const t = declared.trim();
  if (valid(t)) return { expression: t };
  const words = t.split(/[\s,;]+/).filter((w) => w !== '' && !/^(and|AND|&)$/.test(w));
  if (words.length > 1 && words.every(valid)) return { expression: words.join(' AND ') };
  const slug =
    t
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'unknown';
  const hash = createHash('sha256').update(t).digest('hex').slice(0, 8);
  return { ref: `LicenseRef-${slug}-${hash}`, text: t };
}
