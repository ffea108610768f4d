import { Storage } from '../../storage/storage.js';
import { str } from '../args.js';
import { type CommandDef, defined, help, usageError } from '../command.js';

/** `copy`, or `add` (`extract`: local tar archives are unpacked into DEST). */
export function copyCommand(extract: boolean): CommandDef {
  const name = extract ? 'add' : 'copy';
  return {
    usage: `Usage: lading-buildah ${name} [options] CONTAINER SRC [[SRC...] DEST]

${extract ? 'Like copy, but a local tar archive (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .tar.zst) is extracted into DEST.' : 'Copies files and directories into a working container.'}
A directory's contents go into DEST; a file goes to DEST, or into it when DEST ends in / or is a directory. A
relative DEST is taken from the container's working directory; without DEST, the working directory itself.
Copied files are owned by root in the committed image unless --chown says otherwise; modes and times are kept.

Options:
  --chown USER[:GROUP]   Owner of the copied files (names from the container's /etc/passwd, /etc/group)
  --chmod MODE           Octal permission bits of the copied files
  --contextdir DIR       Directory relative sources are taken from
  -q, --quiet            Accepted

Examples:
  lading-buildah ${name} "$ctr" ./app /app
  lading-buildah ${name} --chown 1000:1000 --chmod 0755 "$ctr" ./bin/server /usr/local/bin/${
    extract
      ? `
  lading-buildah add "$ctr" ./rootfs.tar.gz /`
      : ''
  }
`,
    options: {
      ...help,
      chown: { type: 'string' },
      chmod: { type: 'string' },
      contextdir: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    async run(g, v, pos) {
      if (pos.length < 2) throw usageError(`${name} takes a container, sources and a destination`);
      const storage = await Storage.open(g.root);
      const c = await storage.getContainer(pos[0] as string);
      const rest = pos.slice(1);
      const sources = rest.length === 1 ? rest : rest.slice(0, -1);
      const dest = rest.length === 1 ? '' : (rest[rest.length - 1] as string);
      const { copyIntoContainer } = await import('../../operations/containers.js');
      await copyIntoContainer(storage, c, sources, dest === '' ? '.' : dest, {
        extract,
        ...defined({ chown: str(v.chown), chmod: str(v.chmod), contextDir: str(v.contextdir) }),
      });
      return 0;
    },
  };
}

export const copy = copyCommand(false);
export const add = copyCommand(true);
