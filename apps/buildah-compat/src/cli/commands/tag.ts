import { Storage } from '../../storage/storage.js';
import { type CommandDef, help, usageError } from '../command.js';

export const tag: CommandDef = {
  usage: `Usage: lading-buildah tag IMAGE NAME...

Adds names to an image in local storage (a name without registry gets localhost/, without tag :latest).

Options:
  -h, --help    Show this help

Examples:
  lading-buildah tag myapp:1 myapp:latest registry.example/team/myapp:1
`,
  options: { ...help },
  async run(g, _v, pos) {
    if (pos.length < 2) throw usageError('tag takes an image and at least one new name');
    const storage = await Storage.open(g.root);
    await storage.tagImage(pos[0] as string, pos.slice(1));
    return 0;
  },
};
