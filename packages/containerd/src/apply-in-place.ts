import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { type Digest, digestOf, IntegrityError } from '@lading/digest';
import { isAlreadyExistsError } from './errors.js';
import { prepareExtraction } from './extraction.js';
import type { Mount, SnapshotService } from './snapshots.js';

const require = createRequire(import.meta.url);

/** What an in-place apply needs of a client: its snapshots (under the export's lease). */
export interface InPlaceTarget {
  readonly snapshots: SnapshotService;
}

export interface InPlaceApplyOptions {
  readonly snapshotter: string;
  /** The chain ID of the committed snapshot below the layer; undefined or '' for a base layer. */
  readonly parentChainId?: Digest | '';
  readonly signal?: AbortSignal;
}

/** A layer being applied into an extraction snapshot while its tar is made. */
export interface InPlaceApply {
  /** How the snapshot is written: into a bind mount's source, or into an overlay mount's upperdir. */
  readonly mode: 'bind' | 'overlay';
  /** The next bytes of the uncompressed tar; resolves when the applier has room for more. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Every byte was written: waits for the apply, checks the tar's sha256 is `diffId` (else `IntegrityError`
   * `DIFF_ID_MISMATCH`), commits the snapshot under the layer's chain ID and returns it. A chain ID committed
   * meanwhile by someone else is fine. On any failure the extraction snapshot is removed.
   */
  commit(diffId: Digest): Promise<Digest>;
  /** Drops the layer: the apply is stopped and the extraction snapshot removed. Never throws. */
  abort(reason?: unknown): Promise<void>;
}

/** Bytes buffered between the layer build and the applier. */
const bufferBytes = 1 << 20;

/**
 * Applies a layer into a containerd snapshot from this process, as containerd's own applier does when it can write
 * to the snapshot directly (`diff/apply/apply_linux.go`): it Prepares an extraction snapshot on the parent chain
 * (containerd's `extract-<unique> <name>` key) and looks at the mounts. One `bind` mount (the native snapshotter, and
 * overlayfs for a base layer: `snapshots/overlay/overlay.go` binds the upper directory when there is no parent) is
 * written in place with whiteouts applied; one `overlay` mount with `upperdir=` has the layer written into the
 * upper directory alone, whiteouts kept as overlayfs reads them (containerd's `archive.OverlayConvertWhiteout`:
 * character devices 0/0, opaque directories marked with `trusted.overlay.opaque=y`, or `user.` with
 * `userxattr`). Anything else (several mounts, a remote snapshotter, a directory this process cannot see, not
 * root for overlay whiteouts) gives undefined after the snapshot is removed: the caller uses the diff service.
 *
 * Unlike containerd, a parent directory missing from the layer tar is created 0755 rather than copied from the
 * lower layers (lading's layers always carry their parent directories).
 */
export async function openInPlaceApply(
  target: InPlaceTarget,
  options: InPlaceApplyOptions,
): Promise<InPlaceApply | undefined> {
  const { snapshotter, signal } = options;
  const parent = options.parentChainId ?? '';
  const call = signal ? { signal } : {};
  // The chain ID is not known before the end: the key names the parent instead.
  const { key, mounts } = await prepareExtraction(
    target.snapshots,
    snapshotter,
    `in-place ${parent || 'base'}`,
    parent,
    call,
  );
  const remove = () =>
    target.snapshots.remove(snapshotter, key).then(
      () => {},
      () => {},
    );
  const plan = writablePlan(mounts);
  if (plan === undefined) {
    await remove();
    return undefined;
  }

  const { applyLayer } = await import('@lading/layer');
  const input = new PassThrough({ highWaterMark: bufferBytes });
  // An abort before the applier reads: the error reaches it through the stream, not as an uncaught 'error'.
  input.on('error', () => {});
  const applying = applyLayer(
    plan.dir,
    { source: input, uncompressed: true },
    {
      ...(signal ? { signal } : {}),
      ...(plan.mode === 'overlay'
        ? { whiteouts: { overlay: { markOpaque: (dir: string) => markOpaque(dir, plan.opaqueXattr) } } }
        : {}),
    },
  );
  let failure: unknown;
  const failed = applying.then(
    () => {},
    (error: unknown) => {
      failure = error;
    },
  );
  let closed = false;
  let removed: Promise<void> | undefined;
  const drop = (reason: unknown): Promise<void> => {
    closed = true;
    if (!input.destroyed) input.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    removed ??= failed.then(remove);
    return removed;
  };

  return {
    mode: plan.mode,
    async write(chunk) {
      if (closed) throw new Error('in-place apply: write after commit or abort');
      if (failure !== undefined) throw failure;
      if (input.write(chunk)) return;
      // The applier reads on; if it fails instead, it never drains.
      await new Promise<void>((resolve) => {
        const done = () => {
          input.off('drain', done);
          input.off('close', done);
          resolve();
        };
        input.once('drain', done);
        input.once('close', done);
        void failed.then(done);
      });
      if (failure !== undefined) throw failure;
    },
    async commit(diffId) {
      if (closed) throw new Error('in-place apply: commit after commit or abort');
      closed = true;
      input.end();
      let committed = false;
      try {
        const result = await applying;
        if (result.diffId !== diffId) {
          throw new IntegrityError(
            'DIFF_ID_MISMATCH',
            `the layer applied in place has diff ID ${result.diffId}, expected ${diffId}`,
            { expected: diffId, actual: result.diffId },
          );
        }
        const chainId = parent === '' ? diffId : digestOf(`${parent} ${diffId}`);
        try {
          await target.snapshots.commit(snapshotter, chainId, key, call);
          committed = true;
        } catch (error) {
          // Committed by a parallel unpack of the same chain: the layer is there all the same.
          if (!isAlreadyExistsError(error)) throw error;
        }
        return chainId;
      } finally {
        if (!committed) await remove();
      }
    },
    abort(reason) {
      if (removed !== undefined) return removed;
      return drop(reason ?? new Error('in-place apply aborted'));
    },
  };
}

interface WritablePlan {
  readonly mode: 'bind' | 'overlay';
  readonly dir: string;
  readonly opaqueXattr: string;
}

/** Where the layer can be written directly, as `diff/apply/apply_linux.go` decides it; undefined if nowhere. */
function writablePlan(mounts: readonly Mount[]): WritablePlan | undefined {
  if (mounts.length !== 1) return undefined;
  const m = mounts[0] as Mount;
  if (m.options.includes('ro')) return undefined;
  let plan: WritablePlan | undefined;
  if (m.type === 'bind') {
    plan = { mode: 'bind', dir: m.source, opaqueXattr: '' };
  } else if (m.type === 'overlay') {
    // containerd's getOverlayPath: the upperdir option; without one it mounts and applies through the mount.
    const upper = m.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
    // Whiteouts are character devices (mknod): root only, as containerd skips this path in a user namespace.
    if (upper === undefined || upper === '' || process.getuid?.() !== 0) return undefined;
    const prefix = m.options.includes('userxattr') ? 'user' : 'trusted';
    plan = { mode: 'overlay', dir: upper, opaqueXattr: `${prefix}.overlay.opaque` };
  }
  if (plan === undefined || !plan.dir.startsWith('/')) return undefined;
  // containerd may run elsewhere (another mount namespace, a remote socket): only a directory seen here will do.
  try {
    if (!statSync(plan.dir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return plan;
}

/** `<prefix>.overlay.opaque=y` on a directory: overlayfs then hides what the lower layers have in it. */
async function markOpaque(dir: string, name: string): Promise<void> {
  // A native module, loaded on first use and resolved from this package (also when bundled into a CLI).
  const { setAttribute } = require('@napi-rs/xattr') as typeof import('@napi-rs/xattr');
  await setAttribute(dir, name, 'y');
}
