import { IntegrityError } from '@lading/digest';
import { encodeTarHeader } from './tar-header.js';

/** Where an archive goes: a `FileHandle`, or anything that writes bytes in order (a stream adapter). */
export interface ArchiveSink {
  write(data: Uint8Array): Promise<unknown>;
}

export interface ArchiveWriterOptions {
  /** Modification time of every entry, in seconds (default 0, so the same image gives the same bytes). */
  readonly mtime?: number;
  /** Permission bits of regular files (default 0o644). */
  readonly fileMode?: number;
}

/**
 * Writes an image archive (oci-archive, docker-archive, an OCI layout as a tarball) entry by entry into a file,
 * streaming each body. Owners are root and times fixed, as containers/image and BuildKit write their archives. A
 * body whose length is not the size given is an `IntegrityError` (`TAR_ENTRY_SIZE`): the archive would be corrupt.
 */
export class ArchiveWriter {
  readonly #fh: ArchiveSink;
  readonly #mtime: number;
  readonly #fileMode: number;

  constructor(fh: ArchiveSink, options: ArchiveWriterOptions = {}) {
    this.#fh = fh;
    this.#mtime = options.mtime ?? 0;
    this.#fileMode = options.fileMode ?? 0o644;
  }

  async directory(name: string): Promise<void> {
    const n = name.endsWith('/') ? name : `${name}/`;
    await this.#fh.write(
      encodeTarHeader({
        name: n,
        type: 'directory',
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: this.#mtime,
      }),
    );
  }

  /** A symlink with no permission bits, as containers/image writes docker-archive's legacy layer links. */
  async symlink(name: string, target: string): Promise<void> {
    await this.#fh.write(
      encodeTarHeader({
        name,
        type: 'symlink',
        mode: 0,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: this.#mtime,
        linkname: target,
      }),
    );
  }

  async bytes(name: string, data: Uint8Array): Promise<void> {
    await this.file(name, data.byteLength, [data]);
  }

  async file(
    name: string,
    size: number,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    await this.#fh.write(
      encodeTarHeader({ name, type: 'file', mode: this.#fileMode, uid: 0, gid: 0, size, mtime: this.#mtime }),
    );
    let written = 0;
    for await (const chunk of chunks) {
      if (written + chunk.byteLength > size) {
        throw new IntegrityError(
          'TAR_ENTRY_SIZE',
          `archive entry ${name}: more than the ${size} bytes its descriptor says`,
        );
      }
      await this.#fh.write(chunk);
      written += chunk.byteLength;
    }
    if (written !== size) {
      throw new IntegrityError(
        'TAR_ENTRY_SIZE',
        `archive entry ${name}: ${written} bytes, its descriptor says ${size}`,
      );
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) await this.#fh.write(new Uint8Array(pad));
  }

  /** The two zero blocks that close a tar archive. */
  async end(): Promise<void> {
    await this.#fh.write(new Uint8Array(1024));
  }
}
