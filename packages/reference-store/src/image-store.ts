import type { IndexManager, OciIndex } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  type Digest,
  InvalidInputError,
  isNotFoundError,
  NotFoundError,
} from '@lading/digest';

/** A named image, as containerd's image store keeps it. */
export interface Image {
  readonly name: string;
  readonly target: Descriptor;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ImageInput {
  readonly name: string;
  readonly target: Descriptor;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ListFilter {
  /** Names starting with this. */
  readonly prefix?: string;
  /** Images carrying all of these labels (value `*` matches any). */
  readonly labels?: Readonly<Record<string, string>>;
}

// The image records live in index.json itself, as annotations of each named descriptor: one file, one lock, and
// skopeo or umoci find the image by `org.opencontainers.image.ref.name`.
export const AnnotationImageName = 'io.containerd.image.name';
const createdKey = 'dev.lading.image.created';
const updatedKey = 'dev.lading.image.updated';
const labelPrefix = 'dev.lading.image.label.';

function checkName(name: string): void {
  if (
    typeof name !== 'string' ||
    name === '' ||
    [...name].some((c) => c.charCodeAt(0) < 0x20 || /\s/.test(c))
  ) {
    throw new InvalidInputError('IMAGE_NAME_INVALID', `invalid image name ${JSON.stringify(name)}`);
  }
}

function nameOf(d: Descriptor): string | undefined {
  return d.annotations?.[AnnotationImageName];
}

function toImage(d: Descriptor): Image {
  const a = d.annotations ?? {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) {
    if (k.startsWith(labelPrefix)) labels[k.slice(labelPrefix.length)] = v;
    else if (k !== AnnotationImageName && k !== AnnotationRefName && k !== createdKey && k !== updatedKey) {
      annotations[k] = v;
    }
  }
  const { annotations: _drop, ...rest } = d;
  const target: Descriptor = Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest;
  return {
    name: a[AnnotationImageName] as string,
    target,
    labels,
    createdAt: new Date(a[createdKey] ?? 0),
    updatedAt: new Date(a[updatedKey] ?? 0),
  };
}

function toDescriptor(image: Image): Descriptor {
  const annotations: Record<string, string> = { ...(image.target.annotations ?? {}) };
  for (const [k, v] of Object.entries(image.labels)) annotations[labelPrefix + k] = v;
  annotations[AnnotationImageName] = image.name;
  annotations[AnnotationRefName] = image.name;
  annotations[createdKey] = image.createdAt.toISOString();
  annotations[updatedKey] = image.updatedAt.toISOString();
  return { ...image.target, annotations };
}

/**
 * containerd's `images` store over a content store's index (index.json of an OCI layout): named images that are
 * GC roots of the store, and that skopeo (`oci:DIR:NAME`) and umoci find by name.
 */
export class ImageStore {
  readonly #index: IndexManager;

  constructor(index: IndexManager) {
    this.#index = index;
  }

  async #update<T>(f: (images: Map<string, Image>, index: OciIndex) => T): Promise<T> {
    let result: T | undefined;
    await this.#index.updateIndex((index) => {
      const images = new Map<string, Image>();
      const others: Descriptor[] = [];
      for (const d of index.manifests) {
        const n = nameOf(d);
        if (n === undefined) others.push(d);
        else images.set(n, toImage(d));
      }
      result = f(images, index);
      return { ...index, manifests: [...others, ...[...images.values()].map(toDescriptor)] };
    });
    return result as T;
  }

  /** Adds a new name; `IMAGE_ALREADY_EXISTS` when the name is taken. */
  async create(input: ImageInput): Promise<Image> {
    checkName(input.name);
    return this.#update((images) => {
      if (images.has(input.name)) {
        throw new InvalidInputError('IMAGE_ALREADY_EXISTS', `image ${input.name}: already exists`);
      }
      const now = new Date();
      const image: Image = {
        name: input.name,
        target: input.target,
        labels: input.labels ?? {},
        createdAt: now,
        updatedAt: now,
      };
      images.set(input.name, image);
      return image;
    });
  }

  /** Points an existing name at a new target; `NotFoundError` when the name is not there (create it then). */
  async update(input: ImageInput): Promise<Image> {
    checkName(input.name);
    return this.#update((images) => {
      const old = images.get(input.name);
      if (old === undefined) throw new NotFoundError('IMAGE_NOT_FOUND', `image ${input.name}: not found`);
      const image: Image = {
        ...old,
        target: input.target,
        labels: input.labels ?? old.labels,
        updatedAt: new Date(),
      };
      images.set(input.name, image);
      return image;
    });
  }

  /** Update, or create when absent: what BuildKit's exporter does for each name. */
  async put(input: ImageInput): Promise<Image> {
    try {
      return await this.update(input);
    } catch (e) {
      if (!isNotFoundError(e)) throw e;
      return this.create(input);
    }
  }

  async get(name: string): Promise<Image> {
    const found = (await this.list()).find((i) => i.name === name);
    if (found === undefined) throw new NotFoundError('IMAGE_NOT_FOUND', `image ${name}: not found`);
    return found;
  }

  async list(filter: ListFilter = {}): Promise<Image[]> {
    const index = await this.#index.readIndex();
    return index.manifests
      .filter((d) => nameOf(d) !== undefined)
      .map(toImage)
      .filter((i) => filter.prefix === undefined || i.name.startsWith(filter.prefix))
      .filter((i) =>
        Object.entries(filter.labels ?? {}).every(
          ([k, v]) => i.labels[k] !== undefined && (v === '*' || i.labels[k] === v),
        ),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    await this.#update((images) => {
      if (!images.delete(name)) throw new NotFoundError('IMAGE_NOT_FOUND', `image ${name}: not found`);
    });
  }

  /** The targets of every named image: the GC roots this store adds to its content store. */
  async roots(): Promise<Digest[]> {
    return (await this.list()).map((i) => i.target.digest);
  }
}
