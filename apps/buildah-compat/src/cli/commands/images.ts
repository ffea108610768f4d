import { imageSize } from '../../operations/images.js';
import { splitName } from '../../storage/names.js';
import { type ImageRecord, Storage } from '../../storage/storage.js';
import { bool, humanAgo, humanSize, table } from '../args.js';
import { type CommandDef, help, out, usageError } from '../command.js';

export const images: CommandDef = {
  usage: `Usage: lading-buildah images [options] [IMAGE]

Lists images in local storage: REPOSITORY TAG IMAGE ID CREATED SIZE.

Options:
  --json           JSON output
  -q, --quiet      Only image IDs
  --digests        Show manifest digests
  --no-trunc       Full image IDs
  -n, --noheading  No header line
  -a, --all        Accepted (every image is listed)

Examples:
  lading-buildah images
  lading-buildah images --json
  lading-buildah images -q myapp
`,
  options: {
    ...help,
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    digests: { type: 'boolean' },
    'no-trunc': { type: 'boolean' },
    notruncate: { type: 'boolean' },
    noheading: { type: 'boolean', short: 'n' },
    all: { type: 'boolean', short: 'a' },
  },
  async run(g, v, pos) {
    if (pos.length > 1) throw usageError('images takes at most one image name');
    const storage = await Storage.open(g.root);
    let images = await storage.listImages();
    if (pos[0] !== undefined) {
      const one = await storage.findImage(pos[0]);
      images = one ? [one] : [];
    }
    images.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    const full = bool(v['no-trunc']) || bool(v.notruncate);
    const id = (i: ImageRecord) => (full ? `sha256:${i.id}` : i.id.slice(0, 12));
    const sizes = new Map<string, number>();
    for (const i of images) sizes.set(i.id, await imageSize(storage, i));
    if (bool(v.json)) {
      const rows = images.map((i) => ({
        id: full ? i.id : i.id.slice(0, 12),
        names: i.names.length > 0 ? i.names : null,
        digest: i.manifest.digest,
        createdat: humanAgo(new Date(i.created)),
        size: humanSize(sizes.get(i.id) ?? 0),
        created: Math.floor(new Date(i.created).getTime() / 1000),
        createdatraw: i.created,
        readonly: false,
        history: null,
      }));
      out(`${JSON.stringify(rows, null, 4)}\n`);
      return 0;
    }
    if (bool(v.quiet)) {
      for (const i of images) out(`${id(i)}\n`);
      return 0;
    }
    const digests = bool(v.digests);
    const head = ['REPOSITORY', 'TAG', ...(digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
    const rows: string[][] = [];
    for (const i of images) {
      const names = i.names.length > 0 ? i.names.map(splitName) : [{ repository: '<none>', tag: '<none>' }];
      for (const n of names) {
        rows.push([
          n.repository,
          n.tag,
          ...(digests ? [i.manifest.digest] : []),
          id(i),
          humanAgo(new Date(i.created)),
          humanSize(sizes.get(i.id) ?? 0),
        ]);
      }
    }
    out(table(bool(v.noheading) ? rows : [head, ...rows]));
    return 0;
  },
};
