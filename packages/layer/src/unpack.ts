import { mkdirSync, realpathSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '@lading/digest';
import { Digester, IntegrityError, InvalidInputError, OptionError } from '@lading/digest';
import type { Header } from 'tar-stream';
import { decompressStream } from './decompress.js';
import { describeFailure, isRoot } from './unpack-checks.js';
import { applyEntry, type TarEntry } from './unpack-entry.js';
import { UnpackTarget } from './unpack-target.js';

export interface UnpackOptions {
  readonly signal?: AbortSignal;
  /** Restore owners (lchown). Default: only when running as root. */
  readonly sameOwner?: boolean;
  /**
   * Unpack as an unprivileged user would: device nodes are refused. Default: true unless running as root.
   * (Set it to check what a rootless unpack does while running as root.)
   */
  readonly rootless?: boolean;
  readonly onProgress?: (progress: { readonly entries: number; readonly bytes: number }) => void;
  /**
   * How whiteouts are stored. Default `apply`: what they hide is removed (a flat tree, as vfs or a snapshot keeps
   * it). `overlay`: the target is an overlayfs upper directory holding this layer alone, as moby's overlay2 driver
   * stores it (`pkg/archive/archive_linux.go`): `.wh.x` becomes a character device 0/0 at `x`, and `.wh..wh..opq`
   * marks its directory opaque through `markOpaque` (moby sets `trusted.overlay.opaque=y`; Node has no setxattr).
   * Overlay whiteouts need root (mknod).
   */
  readonly whiteouts?:
    | 'apply'
    | { readonly overlay: { readonly markOpaque: (dir: string) => void | Promise<void> } };
  /**
   * Most bytes of file contents to write (all layers of `unpackLayers` together). An entry that would go past it is
   * refused before anything of it is written: `InvalidInputError` code `UNPACK_TOO_LARGE`.
   */
  readonly maxBytes?: number;
  /** Most tar entries to apply (all layers together, whiteouts included): past it `UNPACK_TOO_MANY_ENTRIES`. */
  readonly maxEntries?: number;
  /** Largest zstd window accepted (default 2^27, zstd's own limit; see `decompressStream`). */
  readonly maxZstdWindow?: number;
}

/** What an unpack has used so far, shared by the layers of one `unpackLayers`. */
interface UnpackBudget {
  entries: number;
  bytes: number;
}

function checkLimit(value: number | undefined, name: string): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OptionError('BAD_UNPACK_LIMIT', `${name} must be a non-negative integer, got ${value}`, {
      key: name,
    });
  }
  return value;
}

export interface LayerSource {
  /** The layer's bytes: plain, gzip or zstd (detected by magic bytes). */
  readonly source: AsyncIterable<Uint8Array>;
  /** Checked against the sha256 of the uncompressed tar once it is applied. */
  readonly diffId?: Digest;
  /** The bytes are a plain tar (already decompressed): no detection by magic bytes. */
  readonly uncompressed?: boolean;
}

/**
 * Applies one layer to a directory, as containerd's and umoci's unpackers do, with these safety rules:
 *
 * - Entry names and hardlink targets that are absolute or contain `..` are refused (`UNSAFE_TAR_ENTRY`).
 * - The parents of an entry are walked from the root with lstat. A parent that is a symlink is followed the way it
 *   resolves inside the container: an absolute target starts again from the root (so `var/run -> /run`, common in
 *   real images, works, as with containerd's `fs.RootPath` and umoci's `SecureJoin`), a relative one from the
 *   link's directory. A resolution that would climb above the root is refused rather than clamped, and so is a
 *   chain of more than 40 links (a loop). Nothing is ever created, changed or removed outside the root.
 * - The entry itself is never followed: whatever is at its path is removed first (a directory over a directory is
 *   merged) and files are created with O_EXCL|O_NOFOLLOW.
 * - Hardlinks must point to an existing non-directory inside the root; device nodes are refused when rootless.
 * - Whiteouts (`.wh.x`, `.wh..wh..opq`) hide what lower layers put there but keep what this layer adds, wherever the
 *   marker comes in the layer (OCI image-spec "Whiteouts"); a whiteout of `.` or `..` is refused.
 * - Directory modes and times are applied last, to paths resolved again without following any symlink.
 *
 * - With `maxEntries` / `maxBytes`, an entry that would go past a cap is refused before anything of it is written
 *   (`UNPACK_TOO_MANY_ENTRIES`, `UNPACK_TOO_LARGE`); zstd windows above `maxZstdWindow` (2^27) are refused first.
 *
 * Errors name the entry. The diffID is checked at the end (`IntegrityError`). A failed layer leaves the target
 * partly applied (as containerd's applier does; its snapshot is then discarded): unpack into a fresh directory.
 */
export async function applyLayer(
  target: string,
  layer: LayerSource,
  options: UnpackOptions = {},
): Promise<{ readonly diffId: Digest; readonly size: number }> {
  return applyWithBudget(target, layer, options, { entries: 0, bytes: 0 });
}

async function applyWithBudget(
  target: string,
  layer: LayerSource,
  options: UnpackOptions,
  budget: UnpackBudget,
): Promise<{ readonly diffId: Digest; readonly size: number }> {
  const maxBytes = checkLimit(options.maxBytes, 'maxBytes');
  const maxEntries = checkLimit(options.maxEntries, 'maxEntries');
  mkdirSync(target, { recursive: true });
  const tree = new UnpackTarget(realpathSync(target), { chown: options.sameOwner ?? isRoot() });
  const rootless = options.rootless ?? !isRoot();
  const diff = new Digester('sha256');
  const { stream } = layer.uncompressed
    ? { stream: layer.source }
    : await decompressStream(
        layer.source,
        options.maxZstdWindow === undefined ? {} : { maxZstdWindow: options.maxZstdWindow },
      );
  const overlay = typeof options.whiteouts === 'object' ? options.whiteouts.overlay : undefined;
  if (overlay !== undefined && rootless) {
    throw new InvalidInputError(
      'OVERLAY_WHITEOUTS_NEED_ROOT',
      'overlay whiteouts are character devices: unpacking them needs root',
    );
  }
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      options.signal?.throwIfAborted();
      diff.update(chunk);
      yield chunk;
    }
  }
  const ctx = {
    target: tree,
    rootless,
    overlay,
    admit: (h: Header) => admit(budget, h, maxEntries, maxBytes),
  };

  let entries = 0;
  let bytes = 0;
  let current: string | undefined;
  // Loaded here: tar-stream is a fifth of this package's load time, and only unpacking needs it.
  const { extract } = await import('tar-stream');
  const ex = extract();
  const feeding = pipeline(Readable.from(hashed()), ex);
  feeding.catch(() => {});
  try {
    for await (const entry of ex) {
      current = entry.header.name;
      if (await applyEntry(entry as unknown as TarEntry, ctx)) {
        const h = entry.header;
        if (h.type === 'file' || h.type === 'contiguous-file') bytes += h.size ?? 0;
        entries++;
        options.onProgress?.({ entries, bytes });
      }
      current = undefined;
    }
    await feeding;
    tree.finishDirectories();
  } catch (error) {
    ex.destroy();
    throw describeFailure(error, current);
  }
  const diffId = diff.digest();
  if (layer.diffId !== undefined && layer.diffId !== diffId) {
    throw new IntegrityError(
      'DIFFID_MISMATCH',
      `layer applied to ${target} has diffID ${diffId}, expected ${layer.diffId}; the layer blob is corrupt or mislabelled`,
      { expected: layer.diffId, actual: diffId },
    );
  }
  return { diffId, size: diff.size };
}

/** Counts the entry against the caps; refuses it before anything of it is written when it would go past one. */
function admit(budget: UnpackBudget, h: Header, maxEntries: number, maxBytes: number): void {
  if (budget.entries + 1 > maxEntries) {
    throw new InvalidInputError(
      'UNPACK_TOO_MANY_ENTRIES',
      `unpacking stopped before entry ${JSON.stringify(h.name)}: more than the ${maxEntries} entries allowed (maxEntries)`,
    );
  }
  const size = h.type === 'file' || h.type === 'contiguous-file' ? (h.size ?? 0) : 0;
  if (budget.bytes + size > maxBytes) {
    throw new InvalidInputError(
      'UNPACK_TOO_LARGE',
      `unpacking stopped before entry ${JSON.stringify(h.name)} (${size} bytes): more than the ${maxBytes} bytes of file contents allowed (maxBytes)`,
    );
  }
  budget.entries++;
  budget.bytes += size;
}

/** Applies layers in order (lowest first) to a directory, checking each diffID that is given. */
export async function unpackLayers(
  target: string,
  layers: readonly LayerSource[],
  options: UnpackOptions = {},
): Promise<void> {
  const budget: UnpackBudget = { entries: 0, bytes: 0 };
  for (const layer of layers) await applyWithBudget(target, layer, options, budget);
}
