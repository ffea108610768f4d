import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileLock, type FullStore, openLocalStore, writeFileAtomic } from '@lading/content-store';
import { type Descriptor, InvalidInputError, NotFoundError, parseJson } from '@lading/digest';
import type { ImageConfig } from '@lading/image-config';
import { readJsonFile } from '@lading/reference-store';
import { normalizeImageName } from './names.js';

/** `$XDG_DATA_HOME/lading-buildah`, else `~/.local/share/lading-buildah`. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'lading-buildah');
}

/** An image in local storage: what containers-storage keeps of it (ID = config digest, several names). */
export interface ImageRecord {
  /** Hex of the config digest, as buildah's image IDs. */
  readonly id: string;
  readonly names: readonly string[];
  /** The image manifest (never an index: a platform was chosen on pull). */
  readonly manifest: Descriptor;
  /** RFC 3339; the config's `created`, else when it was stored. */
  readonly created: string;
}

/** Owner and mode to give a copied path (and everything under it) in the layer, whatever the disk says. */
export interface OwnershipRule {
  /** Path inside the rootfs, `/`-separated, without a leading slash. */
  readonly path: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Permission bits (07777). */
  readonly mode?: number;
}

/** A working container: a rootfs directory, the image config being edited, and where it came from. */
export interface ContainerState {
  readonly id: string;
  readonly name: string;
  /** '' for scratch. */
  readonly fromImage: string;
  readonly fromImageId: string;
  readonly fromImageDigest: string;
  /** The base image's manifest (its layers are shared), absent for scratch. */
  readonly baseManifest?: Descriptor;
  readonly created: string;
  config: ImageConfig;
  /** Manifest annotations (`config --annotation`). */
  annotations: Record<string, string>;
  /** `config --created-by`: the history entry of the next commit. */
  createdBy: string;
  ownership: OwnershipRule[];
}

const lockOptions = { staleMs: 10 * 60 * 1000, waitMs: 30_000, busyCode: 'STORAGE_BUSY', what: 'storage' };

/**
 * The storage root: `blobs/` (an OCI layout holding every blob), `images.json` (names -> manifests) and
 * `containers/<id>/` (state.json, rootfs/, and lower/ — the base image unpacked once more, pristine, for the diff).
 */
export class Storage {
  readonly root: string;
  readonly store: FullStore;

  private constructor(root: string, store: FullStore) {
    this.root = root;
    this.store = store;
  }

  static async open(root: string): Promise<Storage> {
    const dir = resolve(root);
    await mkdir(join(dir, 'containers'), { recursive: true });
    return new Storage(dir, await openLocalStore(join(dir, 'blobs')));
  }

  get layerCacheDir(): string {
    return join(this.root, 'layer-cache');
  }

  async #locked<T>(f: () => Promise<T>): Promise<T> {
    const lock = await FileLock.acquire(join(this.root, 'storage.lock'), lockOptions);
    try {
      return await f();
    } finally {
      await lock.release();
    }
  }

  // ---- images ----

  async #readImages(): Promise<ImageRecord[]> {
    const path = join(this.root, 'images.json');
    const images = await readJsonFile<unknown>(path, []);
    if (!Array.isArray(images)) throw new InvalidInputError('STORE_CORRUPT', `${path} must hold a JSON list`);
    return images as ImageRecord[];
  }

  async #writeImages(images: readonly ImageRecord[]): Promise<void> {
    await writeFileAtomic(join(this.root, 'images.json'), `${JSON.stringify(images, null, 2)}\n`);
  }

  async listImages(): Promise<ImageRecord[]> {
    return this.#readImages();
  }

  /** By name (normalised as buildah does), full or short (>= 3 hex chars) ID, or `sha256:` ID. */
  async findImage(nameOrId: string): Promise<ImageRecord | undefined> {
    return lookup(await this.#readImages(), nameOrId);
  }

  async getImage(nameOrId: string): Promise<ImageRecord> {
    const image = await this.findImage(nameOrId);
    if (!image) throw new NotFoundError('IMAGE_NOT_FOUND', `${nameOrId}: image not known`);
    return image;
  }

  /** Stores an image under its ID; the names move to it from any other image (as containers-storage does). */
  async putImage(
    input: { manifest: Descriptor; configDigest: string; created: string },
    names: readonly string[],
  ) {
    return this.#locked(async () => {
      const images = await this.#readImages();
      const id = input.configDigest.replace(/^sha256:/, '');
      const wanted = names.map(normalizeImageName);
      const others = images
        .filter((i) => i.id !== id)
        .map((i) => ({ ...i, names: i.names.filter((n) => !wanted.includes(n)) }));
      const existing = images.find((i) => i.id === id);
      const record: ImageRecord = {
        id,
        names: [...new Set([...(existing?.names ?? []), ...wanted])],
        manifest: input.manifest,
        created: existing?.created ?? input.created,
      };
      await this.#writeImages([...others, record]);
      return record;
    });
  }

  async tagImage(nameOrId: string, names: readonly string[]): Promise<ImageRecord> {
    const image = await this.getImage(nameOrId);
    return this.putImage({ manifest: image.manifest, configDigest: image.id, created: image.created }, names);
  }

  /**
   * Removes a name, or the whole image when given by ID or when it was its last name. Refused while a working
   * container uses the image (buildah's rule), unless `force`.
   */
  async removeImage(nameOrId: string, force = false): Promise<{ untagged: string[]; deleted?: string }> {
    return this.#locked(async () => {
      const images = await this.#readImages();
      const image = lookup(images, nameOrId);
      if (!image) throw new NotFoundError('IMAGE_NOT_FOUND', `${nameOrId}: image not known`);
      const matched = matchedName(image, nameOrId);
      const remaining = matched === undefined ? [] : image.names.filter((n) => n !== matched);
      if (matched !== undefined && remaining.length > 0) {
        await this.#writeImages(images.map((i) => (i.id === image.id ? { ...i, names: remaining } : i)));
        return { untagged: [matched] };
      }
      if (!force) {
        const users = (await this.listContainers()).filter((c) => c.fromImageId === image.id);
        if (users.length > 0) {
          throw new InvalidInputError(
            'IMAGE_IN_USE',
            `image ${image.id.slice(0, 12)} is used by working container ${users.map((c) => c.name).join(', ')}; remove it first (or use --force)`,
          );
        }
      }
      await this.#writeImages(images.filter((i) => i.id !== image.id));
      return { untagged: image.names.slice(), deleted: image.id };
    });
  }

  // ---- working containers ----

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  rootfsOf(c: Pick<ContainerState, 'id'>): string {
    return join(this.containerDir(c.id), 'rootfs');
  }

  lowerOf(c: Pick<ContainerState, 'id'>): string {
    return join(this.containerDir(c.id), 'lower');
  }

  async listContainers(): Promise<ContainerState[]> {
    const out: ContainerState[] = [];
    for (const id of (await readdir(join(this.root, 'containers'))).sort()) {
      try {
        out.push(
          parseJson(await readFile(join(this.containerDir(id), 'state.json'), 'utf8')) as ContainerState,
        );
      } catch {
        // half-created or being removed: not a container
      }
    }
    return out.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  /** By name, full ID or an ID prefix of at least 3 characters. */
  async getContainer(nameOrId: string): Promise<ContainerState> {
    const all = await this.listContainers();
    const found =
      all.find((c) => c.name === nameOrId) ??
      all.find((c) => c.id === nameOrId) ??
      (nameOrId.length >= 3
        ? onlyOne(
            all.filter((c) => c.id.startsWith(nameOrId)),
            nameOrId,
          )
        : undefined);
    if (!found) throw new NotFoundError('CONTAINER_NOT_FOUND', `${nameOrId}: container not known`);
    return found;
  }

  /**
   * Reserves a new container: a unique name (`<base>-working-container`, then `-1`, `-2`, ... as buildah does, or
   * the given one, refused if taken) and an empty rootfs. `init` fills it; on failure nothing is left behind.
   */
  async createContainer(
    base: Omit<ContainerState, 'id' | 'name' | 'created'>,
    nameBase: string,
    explicitName: string | undefined,
    init: (state: ContainerState) => Promise<void>,
  ): Promise<ContainerState> {
    const id = randomBytes(32).toString('hex');
    const state = await this.#locked(async () => {
      const taken = new Set((await this.listContainers()).map((c) => c.name));
      let name: string;
      if (explicitName !== undefined) {
        if (explicitName === '' || /[\s/]/.test(explicitName)) {
          throw new InvalidInputError(
            'CONTAINER_NAME_INVALID',
            `invalid container name ${JSON.stringify(explicitName)}`,
          );
        }
        if (taken.has(explicitName)) {
          throw new InvalidInputError(
            'CONTAINER_NAME_IN_USE',
            `the container name "${explicitName}" is already in use; choose another with --name or remove it`,
          );
        }
        name = explicitName;
      } else {
        const base = nameBase === '' ? 'working-container' : `${nameBase}-working-container`;
        name = base;
        for (let n = 1; taken.has(name); n++) name = `${base}-${n}`;
      }
      const s: ContainerState = { ...base, id, name, created: new Date().toISOString() };
      await mkdir(join(this.containerDir(id), 'rootfs'), { recursive: true });
      // The name is reserved by a state file marked incomplete, so a concurrent `from` picks another.
      await writeFileAtomic(
        join(this.containerDir(id), 'state.json'),
        JSON.stringify({ ...s, creating: true }),
      );
      return s;
    });
    try {
      await init(state);
      await this.saveContainer(state);
      return state;
    } catch (e) {
      await removeTree(this.containerDir(id));
      throw e;
    }
  }

  async saveContainer(state: ContainerState): Promise<void> {
    await writeFileAtomic(
      join(this.containerDir(state.id), 'state.json'),
      `${JSON.stringify(state, null, 2)}\n`,
    );
  }

  async removeContainer(state: Pick<ContainerState, 'id'>): Promise<void> {
    // state.json goes first so that a half-removed directory is never mistaken for a container.
    await rm(join(this.containerDir(state.id), 'state.json'), { force: true });
    await removeTree(this.containerDir(state.id));
  }
}

/**
 * Removes a container's directory. Images hold read-only directories (0555 and the like): without root, their
 * entries cannot be unlinked until the directories are writable again.
 */
async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM')
      throw e;
    // Loaded here: node:child_process brings net and streams with it, which `images` and the like never need.
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('chmod', ['-R', 'u+rwX', dir]);
    await rm(dir, { recursive: true, force: true });
  }
}

function onlyOne<T extends { id: string }>(found: T[], what: string): T | undefined {
  if (found.length > 1) {
    throw new InvalidInputError('AMBIGUOUS_ID', `${what} matches ${found.length} IDs; give more characters`);
  }
  return found[0];
}

function safeNormalize(name: string): string | undefined {
  try {
    return normalizeImageName(name);
  } catch {
    return undefined;
  }
}

/** The name of `image` that `nameOrId` designates, or undefined when it designates the image by ID. */
function matchedName(image: ImageRecord, nameOrId: string): string | undefined {
  if (
    image.id === nameOrId.replace(/^sha256:/, '') ||
    (/^[0-9a-f]{3,63}$/.test(nameOrId) && image.id.startsWith(nameOrId))
  ) {
    if (!image.names.includes(nameOrId)) return undefined;
  }
  const normal = safeNormalize(nameOrId);
  return (
    image.names.find((n) => n === nameOrId || n === normal) ??
    (normal !== undefined && !nameOrId.includes('/')
      ? image.names.find((n) => n.endsWith(`/${normal.slice(normal.indexOf('/') + 1)}`))
      : undefined)
  );
}

function lookup(images: readonly ImageRecord[], nameOrId: string): ImageRecord | undefined {
  const bare = nameOrId.replace(/^sha256:/, '');
  const byId = images.find((i) => i.id === bare);
  if (byId) return byId;
  const normal = safeNormalize(nameOrId);
  const byName = images.find(
    (i) => i.names.includes(nameOrId) || (normal !== undefined && i.names.includes(normal)),
  );
  if (byName) return byName;
  // A short name also matches docker.io/library/NAME:latest and the like: the last path components agree.
  if (normal !== undefined && !nameOrId.includes('/')) {
    const tail = `/${normal.slice(normal.indexOf('/') + 1)}`;
    const matches = images.filter((i) => i.names.some((n) => n.endsWith(tail)));
    if (matches.length === 1) return matches[0];
  }
  if (/^[0-9a-f]{3,63}$/.test(bare))
    return onlyOne(
      images.filter((i) => i.id.startsWith(bare)),
      nameOrId,
    );
  return undefined;
}
