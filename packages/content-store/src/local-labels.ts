import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestAlgorithm } from '@lading/digest';
import type { LocalLayout } from './local-layout.js';
import { applyLabels } from './validate.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** A blob's labels as `labels/<alg>/<hex>.json` holds them; none when the file is missing or unreadable. */
export async function readLabels(
  layout: LocalLayout,
  d: Digest,
): Promise<{ labels: Record<string, string>; updatedAt?: Date }> {
  try {
    const v = JSON.parse(await readFile(layout.labelsPath(d), 'utf8')) as {
      labels?: Record<string, string>;
      updatedAt?: string;
    };
    return { labels: v.labels ?? {}, ...(v.updatedAt ? { updatedAt: new Date(v.updatedAt) } : {}) };
  } catch {
    return { labels: {} };
  }
}

/** Applies `update` to a blob's labels under the blob's label lock (an empty value removes a label). */
export async function writeLabels(
  layout: LocalLayout,
  d: Digest,
  update: Readonly<Record<string, string>>,
): Promise<void> {
  await mkdir(join(layout.paths.labels, digestAlgorithm(d)), { recursive: true });
  const l = await layout.lock(`${layout.labelsPath(d)}.lock`, `labels of ${d}`);
  try {
    const current = await readLabels(layout, d);
    const next = applyLabels(current.labels, update);
    await writeFileAtomic(
      layout.labelsPath(d),
      JSON.stringify({ labels: next, updatedAt: new Date().toISOString() }),
      { sync: false },
    );
  } finally {
    await l.release();
  }
}
