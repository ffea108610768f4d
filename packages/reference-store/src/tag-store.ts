import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Digest, InvalidInputError, NotFoundError, parseDigest } from '@lading/digest';
import { readJsonFile, updateJsonFile } from './json-file.js';
import {
  familiarName,
  familiarString,
  parseNormalizedReference,
  type Reference,
  withDefaultTag,
} from './reference/reference.js';

/** Docker's repositories.json: familiar repository name -> familiar reference -> image ID. */
interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

const empty = (): RepositoriesFile => ({ Repositories: {} });

export interface TagOptions {
  /** Move an existing tag to another image (digest references never move). */
  readonly force?: boolean;
}

export interface NamedReference {
  readonly reference: Reference;
  readonly id: Digest;
}

function toRef(ref: string | Reference): Reference {
  return typeof ref === 'string' ? parseNormalizedReference(ref) : ref;
}

/**
 * The name a tag would be stored under (`name` alone means `name:latest`), refused as moby's reference store
 * refuses it (`reference/store.go`): a digest reference is not a tag, and a repository named after the digest
 * algorithm (`sha256`) would be ambiguous with an image ID.
 */
export function validateTag(ref: string | Reference): Reference {
  const r = toRef(ref);
  if (r.digest !== undefined) {
    throw new InvalidInputError(
      'TAG_WITH_DIGEST',
      `refusing to create a tag with a digest reference: ${familiarString(r)}`,
    );
  }
  refuseAmbiguous(r);
  return withDefaultTag(r);
}

function refuseAmbiguous(ref: Reference): void {
  if (familiarName(ref) === 'sha256') {
    throw new InvalidInputError(
      'AMBIGUOUS_TAG',
      `refusing to create an ambiguous tag using digest algorithm as name: ${familiarString(ref)}`,
    );
  }
}

function byFamiliar(a: NamedReference, b: NamedReference): number {
  const x = familiarString(a.reference);
  const y = familiarString(b.reference);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The moby-style reference store: names to image IDs, in one JSON file shaped like Docker's `repositories.json`,
 * safe for concurrent writers in several processes.
 */
export class ReferenceStore {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static async open(path: string): Promise<ReferenceStore> {
    await mkdir(dirname(path), { recursive: true });
    return new ReferenceStore(path);
  }

  /** Tags an image (`name` alone means `name:latest`). Moving a tag needs `force`; digest references are refused. */
  async addTag(ref: string | Reference, id: Digest, options: TagOptions = {}): Promise<void> {
    await this.#add(validateTag(ref), id, options.force ?? false);
  }

  /** Records `name@digest` for an image; it can never point at another image afterwards. */
  async addDigest(ref: string | Reference, id: Digest, options: TagOptions = {}): Promise<void> {
    const r = toRef(ref);
    if (r.digest === undefined || r.tag !== undefined) {
      throw new InvalidInputError(
        'DIGEST_REFERENCE_REQUIRED',
        `expected name@digest, got ${familiarString(r)}`,
      );
    }
    await this.#add(r, id, options.force ?? false);
  }

  async #add(ref: Reference, id: Digest, force: boolean): Promise<void> {
    parseDigest(id);
    refuseAmbiguous(ref);
    const repo = familiarName(ref);
    const key = familiarString(ref);
    await updateJsonFile(this.path, empty(), (file) => {
      file.Repositories[repo] ??= {};
      const entries = file.Repositories[repo];
      const old = entries[key];
      if (old !== undefined && old !== id) {
        if (ref.digest !== undefined) {
          throw new InvalidInputError(
            'REFERENCE_CONFLICT',
            `cannot overwrite digest ${key}: it names ${old}`,
          );
        }
        if (!force) {
          throw new InvalidInputError(
            'REFERENCE_CONFLICT',
            `conflict: tag ${key} is already set to image ${old}; use force to move it`,
          );
        }
      }
      entries[key] = id;
      return file;
    });
  }

  /** Removes a reference; false when it was not there. */
  async delete(ref: string | Reference): Promise<boolean> {
    const r = withDefaultTag(toRef(ref));
    const repo = familiarName(r);
    const key = familiarString(r);
    let deleted = false;
    await updateJsonFile(this.path, empty(), (file) => {
      const entries = file.Repositories[repo];
      if (entries?.[key] !== undefined) {
        delete entries[key];
        deleted = true;
        if (Object.keys(entries).length === 0) delete file.Repositories[repo];
      }
      return file;
    });
    return deleted;
  }

  async get(ref: string | Reference): Promise<Digest> {
    const r = withDefaultTag(toRef(ref));
    const file = await readJsonFile(this.path, empty());
    const id = file.Repositories[familiarName(r)]?.[familiarString(r)];
    if (id === undefined)
      throw new NotFoundError('REFERENCE_NOT_FOUND', `reference does not exist: ${familiarString(r)}`);
    return parseDigest(id);
  }

  async #all(): Promise<NamedReference[]> {
    const file = await readJsonFile(this.path, empty());
    const out: NamedReference[] = [];
    for (const entries of Object.values(file.Repositories)) {
      for (const [key, id] of Object.entries(entries)) {
        out.push({ reference: parseNormalizedReference(key), id: parseDigest(id) });
      }
    }
    return out.sort(byFamiliar);
  }

  async referencesById(id: Digest): Promise<Reference[]> {
    return (await this.#all()).filter((r) => r.id === id).map((r) => r.reference);
  }

  async referencesByName(name: string | Reference): Promise<NamedReference[]> {
    const repo = familiarName(toRef(name));
    return (await this.#all()).filter((r) => familiarName(r.reference) === repo);
  }
}
