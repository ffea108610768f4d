import { Storage } from '../../storage/storage.js';
import { bool } from '../args.js';
import { type CommandDef, help, out, usageError } from '../command.js';

export const rm: CommandDef = {
  usage: `Usage: lading-buildah rm [options] CONTAINER...

Removes working containers and their root filesystems.

Options:
  -a, --all   Remove every working container

Examples:
  lading-buildah rm "$ctr"
  lading-buildah rm --all
`,
  options: { ...help, all: { type: 'boolean', short: 'a' } },
  async run(g, v, pos) {
    const storage = await Storage.open(g.root);
    if (bool(v.all) === pos.length > 0) throw usageError('rm takes containers, or --all');
    const targets = bool(v.all) ? await storage.listContainers() : [];
    for (const name of pos) targets.push(await storage.getContainer(name));
    for (const c of targets) {
      await storage.removeContainer(c);
      out(`${c.id}\n`);
    }
    return 0;
  },
};
