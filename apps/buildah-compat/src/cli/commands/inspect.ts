import { isNotFoundError, OptionError } from '@lading/digest';
import { inspectContainer, inspectImage } from '../../operations/inspect.js';
import { Storage } from '../../storage/storage.js';
import { str } from '../args.js';
import { type CommandDef, help, out, usageError } from '../command.js';

export const inspect: CommandDef = {
  usage: `Usage: lading-buildah inspect [options] CONTAINER|IMAGE

Shows a working container (its image config, manifest annotations, base image) or an image in local storage as
JSON, in buildah's shape.

Options:
  -t, --type container|image   What NAME is (default: a container, else an image)
  -f, --format json            Only json is supported

Examples:
  lading-buildah inspect "$ctr"
  lading-buildah inspect --type image myapp:1
`,
  options: { ...help, type: { type: 'string', short: 't' }, format: { type: 'string', short: 'f' } },
  async run(g, v, pos) {
    if (pos.length !== 1) throw usageError('inspect takes exactly one container or image');
    const format = str(v.format);
    if (format !== undefined && format !== 'json') {
      throw new OptionError('FORMAT_UNKNOWN', `--format=${format}: only json is supported`, {
        key: 'format',
      });
    }
    const type = str(v.type);
    if (type !== undefined && type !== 'container' && type !== 'image') {
      throw new OptionError('TYPE_UNKNOWN', `--type=${type}: use container or image`, { key: 'type' });
    }
    const storage = await Storage.open(g.root);
    const name = pos[0] as string;
    if (type !== 'image') {
      try {
        const c = await storage.getContainer(name);
        out(`${JSON.stringify(inspectContainer(storage, c), null, 4)}\n`);
        return 0;
      } catch (e) {
        if (type === 'container' || !isNotFoundError(e)) throw e;
      }
    }
    const image = await storage.getImage(name);
    out(`${JSON.stringify(await inspectImage(storage, image), null, 4)}\n`);
    return 0;
  },
};
