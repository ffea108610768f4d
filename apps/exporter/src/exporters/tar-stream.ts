import type { FileHandle } from 'node:fs/promises';
import { IntegrityError } from '@lading/digest';
import { encodeTarHeader } from '@lading/layer';

/** A minimal tar writer for archives of regular files (image tarballs); streams each file's bytes. */
export class TarFileWriter {
  readonly #fh: FileHandle;
  readonly #mtime: number;
  constructor(fh: FileHandle, mtime = 0) {
    this.#fh = fh;
    this.#mtime = mtime;
  }

  async directory(name: string): Promise<void> {
    await this.#fh.write(
      encodeTarHeader({
        name: name.endsWith('/') ? name : `${name}/`,
        type: 'directory',
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: this.#mtime,
      }),
    );
  }

  async file(
    name: string,
    size: number,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    await this.#fh.write(
      encodeTarHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: this.#mtime }),
    );
    let written = 0;
    for await (const chunk of chunks) {
      await this.#fh.write(chunk);
      written += chunk.byteLength;
    }
    if (written !== size) {
      throw new IntegrityError(
        'TAR_ENTRY_SIZE',
        `tar entry ${name}: the blob gave ${written} bytes, its descriptor says ${size}`,
      );
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) await this.#fh.write(new Uint8Array(pad));
  }

  async end(): Promise<void> {
    await this.#fh.write(new Uint8Array(1024));
  }
}
