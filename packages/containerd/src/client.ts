import { resolveContainerdLocation } from './address.js';
import { ContainerdContentStore } from './content-store.js';
import { DiffService } from './diff.js';
import { ImageService } from './images.js';
import { LeaseService } from './leases.js';
import { Methods } from './proto/methods.js';
import { SnapshotService } from './snapshots.js';
import { type Scope, Transport } from './transport.js';
import { requireLeaseId, requireNamespace } from './validate.js';

export interface ConnectOptions {
  /** The socket (containerd's grpc.address); default `CONTAINERD_ADDRESS`, else /run/containerd/containerd.sock. */
  readonly address?: string;
  /** default `CONTAINERD_NAMESPACE`, else `default`. */
  readonly namespace?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long to wait for containerd to answer (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * A client of one containerd, in one namespace (and optionally one lease): its content store, images, leases,
 * snapshots and diff services over one gRPC channel, as containerd's own Go client is laid out.
 */
export class ContainerdClient {
  readonly address: string;
  readonly namespace: string;
  readonly lease: string | undefined;
  readonly content: ContainerdContentStore;
  readonly images: ImageService;
  readonly leases: LeaseService;
  readonly snapshots: SnapshotService;
  readonly diff: DiffService;
  readonly #transport: Transport;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.address = transport.address;
    this.namespace = scope.namespace;
    this.lease = scope.lease;
    this.content = new ContainerdContentStore(transport, scope);
    this.images = new ImageService(transport, scope);
    this.leases = new LeaseService(transport, scope);
    this.snapshots = new SnapshotService(transport, scope);
    this.diff = new DiffService(transport, scope);
  }

  /** The same client whose writes (content, ingests, snapshots) are held by `lease`. */
  withLease(lease: string): ContainerdClient {
    return new ContainerdClient(this.#transport, { namespace: this.namespace, lease: requireLeaseId(lease) });
  }

  withNamespace(namespace: string): ContainerdClient {
    return new ContainerdClient(this.#transport, { namespace: requireNamespace(namespace) });
  }

  async version(): Promise<{ version: string; revision: string }> {
    const m = await this.#transport.unary(
      Methods.version.version,
      {},
      { namespace: this.namespace },
      'version',
    );
    return { version: String(m.version ?? ''), revision: String(m.revision ?? '') };
  }

  /** Closes the channel (every client made from this one with withLease/withNamespace too). */
  close(): void {
    this.#transport.close();
  }
}

/** Connects to containerd and waits until it answers. ContainerdError (exit 5) names the address when it does not. */
export async function connectContainerd(options: ConnectOptions = {}): Promise<ContainerdClient> {
  const { address, namespace } = resolveContainerdLocation(options, options.env ?? process.env);
  const transport = await Transport.connect(
    address,
    options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {},
  );
  return new ContainerdClient(transport, { namespace });
}
