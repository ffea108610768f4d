import { randomUUID } from 'node:crypto';
import type { Lease } from '@lading/content-store';
import { Methods } from './proto/methods.js';
import { timestampToDate } from './timestamps.js';
import type { CallOptions, Message, Scope, Transport } from './transport.js';
import { requireLabels, requireLeaseId } from './validate.js';

/** The label containerd's GC reads a lease's expiry from (metadata/gc.go), RFC 3339. */
export const LeaseExpireLabel = 'containerd.io/gc.expire';

export interface ContainerdLease extends Lease {
  readonly labels: Readonly<Record<string, string>>;
}

/** What a lease holds: `content` (a digest), `snapshots/<snapshotter>` (a key), `ingests` (a ref). */
export interface LeaseResource {
  readonly id: string;
  readonly type: string;
}

export interface CreateLeaseOptions {
  readonly id?: string;
  /** The lease (and what only it holds) is collected once this passes, even if nobody deletes it. */
  readonly expiresInMs?: number;
  readonly labels?: Readonly<Record<string, string>>;
}

/** containerd's leases service (api/services/leases/v1): what keeps work in progress from its GC. */
export class LeaseService {
  readonly #transport: Transport;
  readonly #scope: Scope;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.#scope = { namespace: scope.namespace };
  }

  async create(options: CreateLeaseOptions = {}, call: CallOptions = {}): Promise<ContainerdLease> {
    const id = options.id === undefined ? `lading-${randomUUID()}` : requireLeaseId(options.id);
    const labels: Record<string, string> = { ...(options.labels ? requireLabels(options.labels) : {}) };
    if (options.expiresInMs !== undefined) {
      labels[LeaseExpireLabel] = new Date(Date.now() + options.expiresInMs).toISOString();
    }
    const m = await this.#transport.unary(
      Methods.leases.create,
      { id, labels },
      this.#scope,
      `create lease ${id}`,
      call,
    );
    return leaseFrom((m.lease ?? {}) as Message);
  }

  /** `sync` waits for the garbage collection the deletion starts (leases.SynchronousDelete). */
  async delete(id: string, options: { sync?: boolean } & CallOptions = {}): Promise<void> {
    requireLeaseId(id);
    await this.#transport.unary(
      Methods.leases.delete,
      { id, sync: options.sync ?? false },
      this.#scope,
      `delete lease ${id}`,
      options,
    );
  }

  async list(call: CallOptions = {}): Promise<ContainerdLease[]> {
    const m = await this.#transport.unary(
      Methods.leases.list,
      { filters: [] },
      this.#scope,
      'list leases',
      call,
    );
    return ((m.leases ?? []) as Message[]).map(leaseFrom);
  }

  async addResource(id: string, resource: LeaseResource, call: CallOptions = {}): Promise<void> {
    requireLeaseId(id);
    await this.#transport.unary(
      Methods.leases.addResource,
      { id, resource },
      this.#scope,
      `add ${resource.type} ${resource.id} to lease ${id}`,
      call,
    );
  }

  async deleteResource(id: string, resource: LeaseResource, call: CallOptions = {}): Promise<void> {
    requireLeaseId(id);
    await this.#transport.unary(
      Methods.leases.deleteResource,
      { id, resource },
      this.#scope,
      `remove ${resource.type} ${resource.id} from lease ${id}`,
      call,
    );
  }

  async listResources(id: string, call: CallOptions = {}): Promise<LeaseResource[]> {
    requireLeaseId(id);
    const m = await this.#transport.unary(
      Methods.leases.listResources,
      { id },
      this.#scope,
      `list resources of lease ${id}`,
      call,
    );
    return ((m.resources ?? []) as Message[]).map((r) => ({ id: String(r.id), type: String(r.type) }));
  }
}

function leaseFrom(m: Message): ContainerdLease {
  const labels = { ...((m.labels ?? {}) as Record<string, string>) };
  const expire = labels[LeaseExpireLabel];
  const expiresAt = expire !== undefined ? new Date(expire) : undefined;
  return {
    id: String(m.id ?? ''),
    createdAt: timestampToDate(m.createdAt),
    ...(expiresAt !== undefined && !Number.isNaN(expiresAt.getTime()) ? { expiresAt } : {}),
    labels,
  };
}
