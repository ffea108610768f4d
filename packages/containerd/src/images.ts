import type { Descriptor } from '@lading/digest';
import { InvalidInputError } from '@lading/digest';
import { isAlreadyExistsError, isNotFoundError } from './errors.js';
import { Methods } from './proto/methods.js';
import { timestampToDate } from './timestamps.js';
import type { CallOptions, Message, Scope, Transport } from './transport.js';
import { requireDigest, requireLabels } from './validate.js';

/** An image record in containerd's image store: a name for a root descriptor (a manifest or an index). */
export interface ImageRecord {
  readonly name: string;
  readonly target: Descriptor;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewImageRecord {
  readonly name: string;
  readonly target: Descriptor;
  readonly labels?: Readonly<Record<string, string>>;
}

/** containerd's images service (api/services/images/v1). */
export class ImageService {
  readonly #transport: Transport;
  readonly #scope: Scope;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.#scope = scope;
  }

  async get(name: string, call: CallOptions = {}): Promise<ImageRecord> {
    const m = await this.#transport.unary(
      Methods.images.get,
      { name: requireName(name) },
      this.#scope,
      `image ${name}`,
      call,
    );
    return imageFrom((m.image ?? {}) as Message);
  }

  /** Every record, or those matching containerd filters (e.g. `name==docker.io/library/app:1`). */
  async list(filters: readonly string[] = [], call: CallOptions = {}): Promise<ImageRecord[]> {
    const m = await this.#transport.unary(Methods.images.list, { filters }, this.#scope, 'list images', call);
    return ((m.images ?? []) as Message[]).map(imageFrom);
  }

  /** AlreadyExistsError when the name is taken. */
  async create(image: NewImageRecord, call: CallOptions = {}): Promise<ImageRecord> {
    const m = await this.#transport.unary(
      Methods.images.create,
      { image: imageMessage(image) },
      this.#scope,
      `create image ${image.name}`,
      call,
    );
    return imageFrom((m.image ?? {}) as Message);
  }

  /**
   * Replaces the record's target and labels (or only `fieldpaths`: `target`, `labels`, `labels.KEY`); its creation
   * time stays. NotFoundError when there is no such name.
   */
  async update(
    image: NewImageRecord,
    options: { fieldpaths?: readonly string[] } & CallOptions = {},
  ): Promise<ImageRecord> {
    const m = await this.#transport.unary(
      Methods.images.update,
      {
        image: imageMessage(image),
        ...(options.fieldpaths && options.fieldpaths.length > 0
          ? { updateMask: { paths: options.fieldpaths } }
          : {}),
      },
      this.#scope,
      `update image ${image.name}`,
      options,
    );
    return imageFrom((m.image ?? {}) as Message);
  }

  /** `sync` waits for the garbage collection the deletion starts. */
  async delete(name: string, options: { sync?: boolean } & CallOptions = {}): Promise<void> {
    await this.#transport.unary(
      Methods.images.delete,
      { name: requireName(name), sync: options.sync ?? false },
      this.#scope,
      `delete image ${name}`,
      options,
    );
  }

  /**
   * Names `target`: Update, and Create when there is no such record, as BuildKit's image exporter does
   * (exporter/containerimage/export.go). A record created meanwhile by someone else is updated.
   */
  async put(
    image: NewImageRecord,
    call: CallOptions = {},
  ): Promise<{ record: ImageRecord; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return { record: await this.update(image, call), created: false };
      } catch (error) {
        if (!isNotFoundError(error)) throw error;
      }
      try {
        return { record: await this.create(image, call), created: true };
      } catch (error) {
        if (attempt > 0 || !isAlreadyExistsError(error)) throw error;
      }
    }
  }
}

function requireName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidInputError('IMAGE_NAME_INVALID', 'an image record needs a non-empty name');
  }
  return name;
}

function imageMessage(image: NewImageRecord): object {
  requireName(image.name);
  if (image.labels) requireLabels(image.labels);
  const t = image.target;
  return {
    name: image.name,
    labels: image.labels ?? {},
    target: {
      mediaType: t.mediaType,
      digest: requireDigest(t.digest),
      size: t.size,
      annotations: t.annotations ?? {},
    },
  };
}

function imageFrom(m: Message): ImageRecord {
  const t = (m.target ?? {}) as Message;
  const annotations = (t.annotations ?? {}) as Record<string, string>;
  return {
    name: String(m.name ?? ''),
    target: {
      mediaType: String(t.mediaType ?? ''),
      digest: requireDigest(t.digest),
      size: Number(t.size ?? 0),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    labels: { ...((m.labels ?? {}) as Record<string, string>) },
    createdAt: timestampToDate(m.createdAt),
    updatedAt: timestampToDate(m.updatedAt),
  };
}
