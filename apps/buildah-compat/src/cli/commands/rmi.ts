import { pruneBlobs } from '../../operations/images.js';
import { Storage } from '../../storage/storage.js';
import { bool } from '../args.js';
import { type CommandDef, help, out, usageError } from '../command.js';
import { reportError } from '../report-error.js';

export const rmi: CommandDef = {
  usage: `Usage: lading-buildah rmi [options] IMAGE...

Removes names from images in local storage; an image given by ID, or losing its last name, is removed. Blobs no
image uses any more stay until the next --prune.

Options:
  -a, --all     Remove every image
  -f, --force   Remove even if a working container uses it
  -p, --prune   Also remove blobs no image or container uses (garbage collection)

Examples:
  lading-buildah rmi myapp:1
  lading-buildah rmi --all
`,
  options: {
    ...help,
    all: { type: 'boolean', short: 'a' },
    force: { type: 'boolean', short: 'f' },
    prune: { type: 'boolean', short: 'p' },
  },
  async run(g, v, pos) {
    const storage = await Storage.open(g.root);
    if (bool(v.all) === pos.length > 0 && !bool(v.prune)) throw usageError('rmi takes images, or --all');
    const targets = bool(v.all) ? (await storage.listImages()).map((i) => i.id) : pos;
    let failed = 0;
    for (const t of targets) {
      try {
        const r = await storage.removeImage(t, bool(v.force));
        for (const n of r.untagged) out(`untagged: ${n}\n`);
        if (r.deleted) out(`${r.deleted}\n`);
      } catch (e) {
        if (targets.length === 1) throw e;
        failed = failed || reportError(e);
      }
    }
    if (bool(v.prune)) await pruneBlobs(storage);
    return failed;
  },
};
