import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@lading/content-store';
import {
  checkHash,
  type Digest,
  digestEncoded,
  digestOf,
  InvalidInputError,
  NotFoundError,
  parseDigest,
  parseJson,
  parseJsonObject,
} from '@lading/digest';
import { chainIds } from './chain-id.js';

/**
 * The moby-style image store: image configs kept under their digest (the image ID), with parent links, as moby's
 * `image/<driver>/imagedb/{content,metadata}/sha256/<hex>`.
 */
export class ImageDb {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static async open(root: string): Promise<ImageDb> {
    await mkdir(join(root, 'content', 'sha256'), { recursive: true });
    await mkdir(join(root, 'metadata', 'sha256'), { recursive: true });
    return new ImageDb(root);
  }

  #content(id: Digest): string {
    return join(this.root, 'content', 'sha256', digestEncoded(id));
  }

  #metadata(id: Digest): string {
    return join(this.root, 'metadata', 'sha256', digestEncoded(id));
  }

  /** Stores a config; its digest is the image ID. Storing the same bytes again is a no-op. */
  async create(config: Uint8Array): Promise<Digest> {
    const value = parseJson(config, { what: 'image config', code: 'CONFIG_INVALID' });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidInputError('CONFIG_INVALID', 'image config must be a JSON object');
    }
    const rootfs = (value as { rootfs?: unknown }).rootfs;
    if (rootfs === null || typeof rootfs !== 'object') {
      throw new InvalidInputError('CONFIG_INVALID', 'invalid image JSON, no RootFS key');
    }
    const id = digestOf(config);
    await writeFileAtomic(this.#content(id), config);
    return id;
  }

  /** The config bytes of an image, verified against its ID. */
  async get(id: Digest): Promise<Uint8Array> {
    parseDigest(id);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.#content(id)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError('IMAGE_NOT_FOUND', `no such image: ${id}`, { cause: e });
      }
      throw e;
    }
    checkHash({ digest: digestOf(bytes), size: bytes.length }, { digest: id }, `image config ${id}`);
    return bytes;
  }

  async has(id: Digest): Promise<boolean> {
    try {
      await readFile(this.#content(id));
      return true;
    } catch {
      return false;
    }
  }

  async delete(id: Digest): Promise<void> {
    if (!(await this.has(id))) throw new NotFoundError('IMAGE_NOT_FOUND', `no such image: ${id}`);
    await rm(this.#content(id), { force: true });
    await rm(this.#metadata(id), { recursive: true, force: true });
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(join(this.root, 'content', 'sha256'));
    return names
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => parseDigest(`sha256:${n}`))
      .sort();
  }

  async setParent(id: Digest, parent: Digest): Promise<void> {
    for (const d of [id, parent]) {
      if (!(await this.has(d))) throw new NotFoundError('IMAGE_NOT_FOUND', `no such image: ${d}`);
    }
    await mkdir(this.#metadata(id), { recursive: true });
    await writeFileAtomic(join(this.#metadata(id), 'parent'), parent);
  }

  async getParent(id: Digest): Promise<Digest | undefined> {
    try {
      return parseDigest((await readFile(join(this.#metadata(id), 'parent'), 'utf8')).trim());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async children(id: Digest): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const other of await this.list()) if ((await this.getParent(other)) === id) out.push(other);
    return out;
  }

  /** The chain IDs of an image's layers (what a layer store keys them by). */
  async layerChain(id: Digest): Promise<Digest[]> {
    const config = parseJsonObject(await this.get(id), {
      what: `image config ${id}`,
      code: 'CONFIG_INVALID',
    });
    const rootfs = config.rootfs as { diff_ids?: unknown } | null | undefined;
    const diffIds = rootfs === null || typeof rootfs !== 'object' ? undefined : (rootfs.diff_ids ?? []);
    if (!Array.isArray(diffIds)) {
      throw new InvalidInputError('CONFIG_INVALID', `image config ${id} has no rootfs.diff_ids list`);
    }
    return chainIds(diffIds.map((d) => parseDigest(String(d))));
  }
}
