import type { FileHandle } from 'node:fs/promises';
import { encodeTarHeader } from '@lading/layer';

/**
 * Writes an image archive (oci-archive, docker-archive) entry by entry, streaming file bodies. Times and owners are
 * fixed (mtime 0, root) so the same image gives the same bytes, as containers/image's archives do.
 */
export class ArchiveWriter {
  readonly #fh: FileHandle;
  readonly #mode: number;
  constructor(fh: FileHandle, options: { fileMode?: number } = {}) {
    this.#fh = fh;
    this.#mode = options.fileMode ?? 0o644;
  }

  async directory(name: string): Promise<void> {
    const n = name.endsWith('/') ? name : `${name}/`;
    await this.#fh.write(
      encodeTarHeader({ name: n, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 }),
    );
  }

  async symlink(name: string, target: string): Promise<void> {
    await this.#fh.write(
      encodeTarHeader({
        name,
        type: 'symlink',
        mode: 0,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: 0,
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
      encodeTarHeader({ name, type: 'file', mode: this.#mode, uid: 0, gid: 0, size, mtime: 0 }),
    );
    let written = 0;
    for await (const chunk of chunks) {
      if (written + chunk.byteLength > size) {
        throw new Error(`archive entry ${name}: more than the ${size} bytes its descriptor says`);
      }
      await this.#fh.write(chunk);
      written += chunk.byteLength;
    }
    if (written !== size)
      throw new Error(`archive entry ${name}: ${written} bytes, its descriptor says ${size}`);
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) await this.#fh.write(new Uint8Array(pad));
  }

  async end(): Promise<void> {
    await this.#fh.write(new Uint8Array(1024));
  }
}
