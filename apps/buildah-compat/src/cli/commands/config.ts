import { Storage } from '../../storage/storage.js';
import { list, str } from '../args.js';
import { type CommandDef, defined, help, usageError } from '../command.js';

export const config: CommandDef = {
  usage: `Usage: lading-buildah config [options] CONTAINER

Changes the image configuration a working container will be committed with. List options can be repeated;
KEY- removes a key (env, label, port, annotation, volume).

Options:
  --env KEY=VALUE          Environment variable ($VAR expands from the existing environment)
  --cmd CMD                Default command: a JSON array, or words split like a shell does
  --entrypoint EP          A JSON array (exec form) or a string run by /bin/sh -c; '' clears it
  --workingdir DIR         Working directory (--workdir, lading's and buildx's spelling, is the same flag)
  --user USER[:GROUP]      User the command runs as
  --label KEY=VALUE        Image label
  --port PORT[/PROTO]      Exposed port (--expose, lading's and Dockerfile's spelling, is the same flag)
  --volume PATH            Volume
  --annotation KEY=VALUE   Manifest annotation
  --author AUTHOR          Author
  --created-by TEXT        The history entry of the next commit
  --os OS, --arch ARCH, --variant V
  --stop-signal SIG, --shell SHELL

Examples:
  lading-buildah config --env PATH=/usr/bin:/bin --workingdir /app --port 8080/tcp "$ctr"
  lading-buildah config --entrypoint '["/app/server"]' --cmd '--listen :8080' --label version=1 "$ctr"
`,
  options: {
    ...help,
    env: { type: 'string', short: 'e', multiple: true },
    cmd: { type: 'string' },
    entrypoint: { type: 'string' },
    workingdir: { type: 'string' },
    workdir: { type: 'string' },
    user: { type: 'string', short: 'u' },
    label: { type: 'string', short: 'l', multiple: true },
    port: { type: 'string', short: 'p', multiple: true },
    expose: { type: 'string', multiple: true },
    volume: { type: 'string', short: 'v', multiple: true },
    annotation: { type: 'string', short: 'a', multiple: true },
    author: { type: 'string' },
    'created-by': { type: 'string' },
    os: { type: 'string' },
    arch: { type: 'string' },
    variant: { type: 'string' },
    'stop-signal': { type: 'string' },
    shell: { type: 'string' },
  },
  async run(g, v, pos) {
    if (pos.length !== 1) throw usageError('config takes exactly one container');
    if (v.workingdir !== undefined && v.workdir !== undefined)
      throw usageError('--workingdir and --workdir are the same flag: give one');
    const storage = await Storage.open(g.root);
    const c = await storage.getContainer(pos[0] as string);
    const s = (k: string) => str(v[k]);
    const edits = {
      env: list(v.env),
      labels: list(v.label),
      ports: [...list(v.port), ...list(v.expose)],
      volumes: list(v.volume),
      annotations: list(v.annotation),
      ...defined({
        cmd: s('cmd'),
        entrypoint: s('entrypoint'),
        workingDir: s('workingdir') ?? s('workdir'),
        user: s('user'),
        author: s('author'),
        createdBy: s('created-by'),
        os: s('os'),
        arch: s('arch'),
        variant: s('variant'),
        stopSignal: s('stop-signal'),
        shell: s('shell'),
      }),
    };
    const { configureContainer } = await import('../../operations/config.js');
    await configureContainer(storage, c, edits);
    return 0;
  },
};
