import type { Descriptor } from '@lading/digest';
import { Methods } from './proto/methods.js';
import type { Mount } from './snapshots.js';
import type { CallOptions, Message, Scope, Transport } from './transport.js';
import { requireDigest } from './validate.js';

/** containerd's diff service (api/services/diff/v1): applies a layer blob from the content store onto mounts. */
export class DiffService {
  readonly #transport: Transport;
  readonly #scope: Scope;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.#scope = scope;
  }

  /**
   * Decompresses and unpacks the layer `blob` (in this namespace's content store) onto `mounts`, containerd-side.
   * Returns the applied, uncompressed descriptor: its digest is the layer's diff ID.
   */
  async apply(blob: Descriptor, mounts: readonly Mount[], call: CallOptions = {}): Promise<Descriptor> {
    const m = await this.#transport.unary(
      Methods.diff.apply,
      {
        diff: {
          mediaType: blob.mediaType,
          digest: requireDigest(blob.digest),
          size: blob.size,
          annotations: {},
        },
        mounts: mounts.map((x) => ({
          type: x.type,
          source: x.source,
          target: x.target ?? '',
          options: [...x.options],
        })),
      },
      this.#scope,
      `apply layer ${blob.digest}`,
      call,
    );
    const applied = (m.applied ?? {}) as Message;
    return {
      mediaType: String(applied.mediaType ?? ''),
      digest: requireDigest(applied.digest),
      size: Number(applied.size ?? 0),
    };
  }
}
