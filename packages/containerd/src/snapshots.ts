import { Methods } from './proto/methods.js';
import { timestampToDate } from './timestamps.js';
import type { CallOptions, Message, Scope, Transport } from './transport.js';

/** A mount as containerd describes one (api/types/mount.proto): what the diff service applies a layer onto. */
export interface Mount {
  readonly type: string;
  readonly source: string;
  readonly target?: string;
  readonly options: readonly string[];
}

export type SnapshotKind = 'unknown' | 'view' | 'active' | 'committed';
const kinds: readonly SnapshotKind[] = ['unknown', 'view', 'active', 'committed'];

export interface SnapshotInfo {
  readonly name: string;
  readonly parent: string;
  readonly kind: SnapshotKind;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly labels: Readonly<Record<string, string>>;
}

/** containerd's snapshots service (api/services/snapshots/v1), for one snapshotter at a time. */
export class SnapshotService {
  readonly #transport: Transport;
  readonly #scope: Scope;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.#scope = scope;
  }

  /** An active snapshot `key` on top of committed `parent` ('' for none); its mounts. */
  async prepare(
    snapshotter: string,
    key: string,
    parent: string,
    options: { labels?: Readonly<Record<string, string>> } & CallOptions = {},
  ): Promise<Mount[]> {
    const m = await this.#transport.unary(
      Methods.snapshots.prepare,
      { snapshotter, key, parent, labels: options.labels ?? {} },
      this.#scope,
      `prepare snapshot ${key} in ${snapshotter}`,
      options,
    );
    return mountsFrom(m.mounts);
  }

  async mounts(snapshotter: string, key: string, call: CallOptions = {}): Promise<Mount[]> {
    const m = await this.#transport.unary(
      Methods.snapshots.mounts,
      { snapshotter, key },
      this.#scope,
      `mounts of snapshot ${key} in ${snapshotter}`,
      call,
    );
    return mountsFrom(m.mounts);
  }

  /** Commits active snapshot `key` as `name`. */
  async commit(
    snapshotter: string,
    name: string,
    key: string,
    options: { labels?: Readonly<Record<string, string>> } & CallOptions = {},
  ): Promise<void> {
    await this.#transport.unary(
      Methods.snapshots.commit,
      { snapshotter, name, key, labels: options.labels ?? {} },
      this.#scope,
      `commit snapshot ${key} as ${name} in ${snapshotter}`,
      options,
    );
  }

  async remove(snapshotter: string, key: string, call: CallOptions = {}): Promise<void> {
    await this.#transport.unary(
      Methods.snapshots.remove,
      { snapshotter, key },
      this.#scope,
      `remove snapshot ${key} from ${snapshotter}`,
      call,
    );
  }

  /** NotFoundError when there is no such snapshot; InvalidInputError when the snapshotter is not loaded. */
  async stat(snapshotter: string, key: string, call: CallOptions = {}): Promise<SnapshotInfo> {
    const m = await this.#transport.unary(
      Methods.snapshots.stat,
      { snapshotter, key },
      this.#scope,
      `stat snapshot ${key} in ${snapshotter}`,
      call,
    );
    return infoFrom((m.info ?? {}) as Message);
  }

  async list(
    snapshotter: string,
    filters: readonly string[] = [],
    call: CallOptions = {},
  ): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for await (const m of this.#transport.serverStream(
      Methods.snapshots.list,
      { snapshotter, filters },
      this.#scope,
      `list snapshots in ${snapshotter}`,
      call,
    )) {
      for (const i of (m.info ?? []) as Message[]) out.push(infoFrom(i));
    }
    return out;
  }
}

function mountsFrom(value: unknown): Mount[] {
  return ((value ?? []) as Message[]).map((m) => ({
    type: String(m.type ?? ''),
    source: String(m.source ?? ''),
    ...(m.target ? { target: String(m.target) } : {}),
    options: ((m.options ?? []) as unknown[]).map(String),
  }));
}

function infoFrom(m: Message): SnapshotInfo {
  return {
    name: String(m.name ?? ''),
    parent: String(m.parent ?? ''),
    kind: kinds[Number(m.kind ?? 0)] ?? 'unknown',
    createdAt: timestampToDate(m.createdAt),
    updatedAt: timestampToDate(m.updatedAt),
    labels: { ...((m.labels ?? {}) as Record<string, string>) },
  };
}
