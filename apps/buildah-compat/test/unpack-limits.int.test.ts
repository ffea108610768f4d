// `lading-buildah from` on hostile layers, as a whole process measured with /usr/bin/time: a zstd layer whose frame
// asks for a 1 GiB window (339 bytes of blob; it took 1.1 GiB of RSS before) is refused with exit 3 in flat memory,
// and the --max-unpack-* caps stop an image that writes too much. The image is written with the testkit's OCI
// layout writer (digests by node:crypto); the zstd frame is built here byte by byte (RFC 8878).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { makeTempDir, run, type TempDir } from '@lading/testkit';
import { plainLayer, rawTar, writeTestImage } from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mainJs } from './helpers.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir('lading-buildah-limits-');
});
afterEach(() => tmp.cleanup());

/** Runs `lading-buildah --root ROOT ARGS` under /usr/bin/time; returns the exit code, stderr and max RSS (KiB). */
async function fromMeasured(
  args: readonly string[],
): Promise<{ code: number; stderr: string; rssKiB: number }> {
  const stats = join(tmp.path, 'time.txt');
  const r = await run(
    '/usr/bin/time',
    // -q: the pull's progress lines are not what these tests read
    [
      '-f',
      '%M',
      '-o',
      stats,
      process.execPath,
      mainJs,
      '--root',
      join(tmp.path, 'root'),
      'from',
      '-q',
      ...args,
    ],
    // lading's detailed exit codes (buildah's 125 is asserted in cli-errors.test.ts)
    { allowFailure: true, env: { ...process.env, LADING_BUILDAH_EXIT_CODES: 'detailed' } },
  );
  const { readFileSync } = await import('node:fs');
  return {
    code: r.code,
    stderr: r.stderr,
    rssKiB: Number(readFileSync(stats, 'utf8').trim().split('\n').pop()),
  };
}

describe('lading-buildah from, hostile layers', () => {
  it('a zstd layer declaring a 1 GiB window: exit 3, one line, well under 512 MiB of RSS', async () => {
    // 8192 RLE blocks of 128 KiB behind a window descriptor of 2^30: 1 GiB of output from 32 KiB.
    const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3])];
    for (let i = 0; i < 8192; i++) {
      const h = ((128 * 1024) << 3) | (1 << 1) | (i === 8191 ? 1 : 0);
      parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x61]));
    }
    const blob = Buffer.concat(parts);
    const layout = join(tmp.path, 'layout');
    writeTestImage(layout, [
      { blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', diffId: sha256(Buffer.alloc(0)) },
    ]);
    const r = await fromMeasured([`oci:${layout}:test`]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(
      /^Error: the layer's zstd frame needs a 1024 MiB window, more than the 128 MiB allowed/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(r.rssKiB).toBeLessThan(512 * 1024);
    process.stdout.write(
      `1 GiB-window zstd layer: exit ${r.code}, max RSS ${Math.round(r.rssKiB / 1024)} MiB\n`,
    );
  }, 120_000);

  it('--max-unpack-entries and --max-unpack-bytes refuse an image past them (exit 3); bad values are exit 2', async () => {
    const tar = rawTar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x'.repeat(1000) })));
    const layout = join(tmp.path, 'layout');
    writeTestImage(layout, [plainLayer(tar)]);
    const entries = await fromMeasured(['--max-unpack-entries', '10', `oci:${layout}:test`]);
    expect(entries.code).toBe(3);
    expect(entries.stderr).toContain('more than the 10 entries allowed');
    const bytes = await fromMeasured(['--max-unpack-bytes', '5000', `oci:${layout}:test`]);
    expect(bytes.code).toBe(3);
    expect(bytes.stderr).toContain('bytes of file contents allowed');
    const ok = await fromMeasured([
      '--max-unpack-entries',
      '20',
      '--max-unpack-bytes',
      '20000',
      `oci:${layout}:test`,
    ]);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    const bad = await fromMeasured(['--max-unpack-bytes', 'lots', `oci:${layout}:test`]);
    expect(bad.code).toBe(2);
  }, 120_000);
});
