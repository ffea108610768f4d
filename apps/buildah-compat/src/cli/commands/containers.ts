import { Storage } from '../../storage/storage.js';
import { bool, table } from '../args.js';
import { type CommandDef, help, out, usageError } from '../command.js';

export const containers: CommandDef = {
  usage: `Usage: lading-buildah containers [options]

Lists working containers.

Options:
  --json           JSON output
  -q, --quiet      Only IDs
  -n, --noheading  No header line
  --notruncate     Full IDs

Examples:
  lading-buildah containers
  lading-buildah containers -q --all
`,
  options: {
    ...help,
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    noheading: { type: 'boolean', short: 'n' },
    notruncate: { type: 'boolean' },
    all: { type: 'boolean', short: 'a' },
  },
  async run(g, v, pos) {
    if (pos.length > 0) throw usageError('containers takes no arguments');
    const storage = await Storage.open(g.root);
    const all = await storage.listContainers();
    const trunc = (id: string) => (bool(v.notruncate) ? id : id.slice(0, 12));
    if (bool(v.json)) {
      const rows = all.map((c) => ({
        id: c.id,
        builder: true,
        imageid: c.fromImageId,
        imagename: c.fromImage || 'scratch',
        containername: c.name,
      }));
      out(`${JSON.stringify(rows, null, 4)}\n`);
    } else if (bool(v.quiet)) {
      for (const c of all) out(`${trunc(c.id)}\n`);
    } else {
      const rows = all.map((c) => [
        trunc(c.id),
        '  *',
        trunc(c.fromImageId),
        c.fromImage || 'scratch',
        c.name,
      ]);
      const head = bool(v.noheading)
        ? []
        : [['CONTAINER ID', 'BUILDER', 'IMAGE ID', 'IMAGE NAME', 'CONTAINER NAME']];
      out(table([...head, ...rows], 2));
    }
    return 0;
  },
};
