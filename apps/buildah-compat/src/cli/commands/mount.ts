import { type ContainerState, Storage } from '../../storage/storage.js';
import { bool } from '../args.js';
import { type CommandDef, help, out } from '../command.js';

export const mount: CommandDef = {
  usage: `Usage: lading-buildah mount [CONTAINER...]

Prints the root filesystem path of working containers (nothing is mounted: it is a plain directory). Without
arguments, lists every container with its path.

Options:
  -h, --help    Show this help

Examples:
  lading-buildah mount "$ctr"                                  # then: ls "$(lading-buildah mount "$ctr")"
  lading-buildah mount
`,
  options: { ...help, notruncate: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(g, v, pos) {
    const storage = await Storage.open(g.root);
    if (pos.length === 1) {
      out(`${storage.rootfsOf(await storage.getContainer(pos[0] as string))}\n`);
      return 0;
    }
    const targets: ContainerState[] =
      pos.length === 0
        ? await storage.listContainers()
        : await Promise.all(pos.map((p) => storage.getContainer(p)));
    if (bool(v.json)) {
      out(
        `${JSON.stringify(
          targets.map((c) => ({ container: c.name, mountPoint: storage.rootfsOf(c) })),
          null,
          4,
        )}\n`,
      );
    } else {
      for (const c of targets) out(`${c.name} ${storage.rootfsOf(c)}\n`);
    }
    return 0;
  },
};
