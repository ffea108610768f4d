import { readBlob } from '@lading/content-store';
import { isLadingError, OptionError, parseJson, parsePlatform, printable } from '@lading/digest';
import { decodeManifest } from '@lading/manifest';
import { defaultRegistriesConf, readInsecureRegistries } from '@lading/transports';
// The operations that make, copy or move images (layers, tar, transports, the registry client) load when a command
// needs them, so `images`, `containers` or `inspect` start as fast as a native tool.
import type { CommitOptions } from '../operations/commit.js';
import type { PullPolicy } from '../operations/containers.js';
import { splitName } from '../storage/names.js';
import { type ContainerState, defaultRoot, type ImageRecord, Storage } from '../storage/storage.js';
import type { TransferOptions } from '../transports/index.js';
import {
  bool,
  humanAgo,
  humanSize,
  intOption,
  list,
  type OptionSpec,
  parseCommandArgs,
  str,
  table,
} from './args.js';
import { buildahFailureExit, printableLine, reportError, wantsDetailedExitCodes } from './report-error.js';

interface Globals {
  root: string;
  /** `--registries-conf-dir`: the registries.d of signature lookasides (containers/image's RegistriesDirPath). */
  registriesDir?: string;
  /** Aborted on SIGINT/SIGTERM: transfers stop, half-made containers and ingests are removed, exit 130. */
  signal: AbortSignal;
}

interface CommandDef {
  readonly usage: string;
  readonly options: OptionSpec;
  readonly bareValues?: Readonly<Record<string, string>>;
  readonly run: (g: Globals, values: Record<string, unknown>, positionals: string[]) => Promise<number>;
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
const help = { help: { type: 'boolean', short: 'h' } } as const;

const registryOptions = {
  creds: { type: 'string' },
  authfile: { type: 'string' },
  'tls-verify': { type: 'boolean' },
  'cert-dir': { type: 'string' },
  'signature-policy': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** `--registries-conf FILE` among the global options (parseGlobals sets it), else containers/image's default. */
let registriesConfFlag: string | undefined;
/** `--log-level L` among the global options, for the error report. */
let logLevelFlag: string | undefined;
function registriesConfPath(): string {
  return registriesConfFlag ?? defaultRegistriesConf();
}

function transferFrom(v: Record<string, unknown>, quiet: boolean): TransferOptions {
  const creds = str(v.creds);
  const authFile = str(v.authfile) ?? process.env.REGISTRY_AUTH_FILE;
  const policyPath = str(v['signature-policy']);
  const certDir = str(v['cert-dir']);
  return {
    ...(creds !== undefined ? { creds } : {}),
    ...(authFile !== undefined ? { authFile } : {}),
    ...(typeof v['tls-verify'] === 'boolean' ? { tlsVerify: v['tls-verify'] } : {}),
    // as buildah: plain HTTP needs --tls-verify=false or an insecure entry in registries.conf
    tlsRequired: true,
    insecureRegistries: readInsecureRegistries(registriesConfPath()),
    ...(certDir !== undefined ? { certDir } : {}),
    ...(policyPath !== undefined ? { policyPath } : {}),
    ...(quiet ? {} : { onProgress: (m: string) => err(printableLine(m)) }),
  };
}

/** A non-negative integer flag (a count or a number of bytes). */
function count(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new OptionError('BAD_NUMBER', `--${flag}=${s}: give a non-negative integer`, { key: flag });
  }
  return Number(s);
}

function pullPolicy(v: unknown): PullPolicy {
  if (v === undefined || v === true || v === 'true' || v === 'missing' || v === 'ifmissing') return 'missing';
  if (v === 'always') return 'always';
  if (v === 'never' || v === false || v === 'false') return 'never';
  throw new OptionError('PULL_POLICY', `--pull=${String(v)}: use always, missing or never`, { key: 'pull' });
}

const commands: Record<string, CommandDef> = {
  from: {
    usage: `Usage: lading-buildah from [options] scratch|IMAGE

Creates a working container from scratch or from IMAGE and prints its name. IMAGE is a name in local storage
(pulled from its registry when missing) or any transport: docker://REF, oci:DIR[:REF], oci-archive:FILE[:REF],
dir:DIR, docker-archive:FILE, docker-daemon:NAME:TAG (or :sha256:ID; read from the Docker Engine of DOCKER_HOST).
The image's layers are unpacked into the container's root filesystem.

Options:
  --name NAME            Container name (default: IMAGE-working-container[-N], or working-container for scratch)
  --pull[=POLICY]        missing (default), always, never
  --pull-always          Same as --pull=always
  --pull-never           Same as --pull=never
  --platform OS/ARCH     The platform to pick from a multi-platform image
  --creds USER[:PASS], --authfile FILE, --tls-verify=BOOL, --signature-policy FILE
  --max-unpack-bytes N   Refuse an image whose layers write more than N bytes of file contents (exit 3)
  --max-unpack-entries N Refuse an image whose layers hold more than N tar entries (exit 3)
  -q, --quiet            No pull progress

Examples:
  lading-buildah from docker://docker.io/library/alpine:3.20
  lading-buildah from --max-unpack-bytes 2147483648 --max-unpack-entries 200000 oci:./layout:app
`,
    options: {
      ...help,
      ...registryOptions,
      'max-unpack-bytes': { type: 'string' },
      'max-unpack-entries': { type: 'string' },
      name: { type: 'string' },
      pull: { type: 'string' },
      'pull-always': { type: 'boolean' },
      'pull-never': { type: 'boolean' },
      platform: { type: 'string' },
      arch: { type: 'string' },
      os: { type: 'string' },
    },
    bareValues: { pull: 'missing' },
    async run(g, v, pos) {
      const [image, extra] = pos;
      if (image === undefined || extra !== undefined)
        throw usageError('from takes exactly one image (or scratch)');
      const storage = await Storage.open(g.root);
      let platformSpec = str(v.platform);
      if (platformSpec === undefined && (v.os !== undefined || v.arch !== undefined)) {
        platformSpec = `${str(v.os) ?? 'linux'}/${str(v.arch) ?? process.arch.replace('x64', 'amd64')}`;
      }
      const pull = bool(v['pull-always']) ? 'always' : bool(v['pull-never']) ? 'never' : pullPolicy(v.pull);
      const name = str(v.name);
      const maxBytes = count(v['max-unpack-bytes'], 'max-unpack-bytes');
      const maxEntries = count(v['max-unpack-entries'], 'max-unpack-entries');
      const { createWorkingContainer } = await import('../operations/containers.js');
      const c = await createWorkingContainer(storage, image, {
        ...transferFrom(v, bool(v.quiet)),
        unpackLimits: {
          ...(maxBytes !== undefined ? { maxBytes } : {}),
          ...(maxEntries !== undefined ? { maxEntries } : {}),
        },
        ...(g.registriesDir !== undefined ? { registriesDir: g.registriesDir } : {}),
        signal: g.signal,
        ...(name !== undefined ? { name } : {}),
        ...(platformSpec !== undefined ? { platform: parsePlatform(platformSpec) } : {}),
        pull,
      });
      out(`${c.name}\n`);
      return 0;
    },
  },
  copy: copyCommand(false),
  add: copyCommand(true),
  config: {
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
      const { configureContainer } = await import('../operations/config.js');
      await configureContainer(storage, c, edits);
      return 0;
    },
  },
  commit: {
    usage: `Usage: lading-buildah commit [options] CONTAINER [IMAGE]

Writes a new image from a working container: its changes since the base image become one new layer. IMAGE is a
name in local storage (localhost/ is added when it has no registry; no IMAGE: an unnamed image) or any transport
(docker://, oci:, oci-archive:, dir:, docker-archive:, docker-daemon:NAME:TAG), which receives the whole image
(the Docker Engine only the layers it lacks). Progress goes to stderr,
the image ID to stdout.

Options:
  -f, --format oci|docker        Manifest and config format (default oci)
  -D, --disable-compression      Don't compress the new layer (default true; --disable-compression=false: gzip).
                                 Given explicitly, a docker:// destination gets every layer as it is;
                                 otherwise uncompressed layers are gzipped there, as buildah pushes them
  --compression-format gzip|zstd Compress the new layer (bzip2 and xz are not supported)
  --compression-level N          gzip 0-9, zstd 1-22
  --tag NAME                     Another name in local storage (repeatable; a lading extension)
  --timestamp SECONDS            Created time of config and history, and the time of every file in the new layer
  --source-date-epoch SECONDS    Created time of config and history; new-layer times clamped to it
  --omit-history                 Write no history
  --identity-label=BOOL          Add the ${'`'}dev.lading.buildah.version${'`'} label (default true; buildah's is io.buildah.version)
  --unsetenv NAME                Remove a variable from the image's environment (repeatable)
  --squash                       One layer holding the whole filesystem
  --rm                           Remove the working container after committing
  --iidfile FILE                 Write the image ID (sha256:...) to FILE
  -q, --quiet                    No progress report
  --creds, --authfile, --tls-verify, --signature-policy   for registry destinations

Examples:
  lading-buildah commit "$ctr" myapp:1                        # into local storage
  lading-buildah commit --rm "$ctr" docker://localhost:5000/myapp:1 --tls-verify=false
  lading-buildah commit --format docker --disable-compression=false "$ctr" oci-archive:./myapp.tar:1
`,
    options: {
      ...help,
      ...registryOptions,
      format: { type: 'string', short: 'f' },
      'disable-compression': { type: 'boolean', short: 'D' },
      'compression-format': { type: 'string' },
      'compression-level': { type: 'string' },
      tag: { type: 'string', short: 't', multiple: true },
      timestamp: { type: 'string' },
      'source-date-epoch': { type: 'string' },
      'omit-history': { type: 'boolean' },
      'identity-label': { type: 'boolean' },
      unsetenv: { type: 'string', multiple: true },
      squash: { type: 'boolean' },
      rm: { type: 'boolean' },
      iidfile: { type: 'string' },
    },
    async run(g, v, pos) {
      if (pos.length < 1 || pos.length > 2)
        throw usageError('commit takes a container and an optional image');
      const format = str(v.format) ?? 'oci';
      if (format !== 'oci' && format !== 'docker') {
        throw new OptionError('FORMAT_UNKNOWN', `--format=${format}: use oci or docker`, { key: 'format' });
      }
      const cf = str(v['compression-format']);
      const { commitContainer, parseCompressionFormat, writeIidFile } = await import(
        '../operations/commit.js'
      );
      const compression =
        cf !== undefined
          ? parseCompressionFormat(cf)
          : v['disable-compression'] === false
            ? 'gzip'
            : 'uncompressed';
      const timestamp = epochOption(v.timestamp, 'timestamp');
      if (timestamp !== undefined && str(v['source-date-epoch']) !== undefined) {
        throw usageError('--timestamp and --source-date-epoch cannot be used together');
      }
      const sourceDateEpoch = epochOption(
        v['source-date-epoch'] ?? process.env.SOURCE_DATE_EPOCH,
        'source-date-epoch',
      );
      const quiet = bool(v.quiet);
      const level = intOption(v['compression-level'], 'compression-level');
      const storage = await Storage.open(g.root);
      const c = await storage.getContainer(pos[0] as string);
      const policy = str(v['signature-policy']);
      const { onProgress: _p, policyPath: _pp, ...transfer } = transferFrom(v, quiet);
      const options: CommitOptions = {
        format,
        compression,
        ...(v['disable-compression'] === true ? { disableCompression: true } : {}),
        additionalTags: list(v.tag),
        omitHistory: bool(v['omit-history']),
        identityLabel: bool(v['identity-label'], true),
        squash: bool(v.squash),
        unsetEnv: list(v.unsetenv),
        transfer,
        signal: g.signal,
        ...(quiet ? {} : { report: (line: string) => err(printableLine(line)) }),
        ...defined({ compressionLevel: level, timestamp, signaturePolicy: policy }),
        ...(timestamp === undefined && sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      };
      const result = await commitContainer(storage, c, pos[1], options);
      await writeIidFile(str(v.iidfile), result.id);
      if (bool(v.rm)) await storage.removeContainer(c);
      out(`${result.id}\n`);
      return 0;
    },
  },
  push: {
    usage: `Usage: lading-buildah push [options] IMAGE [DESTINATION]

Copies IMAGE from local storage to DESTINATION: docker://REF (also a DESTINATION without transport), oci:DIR[:REF],
oci-archive:FILE[:REF], dir:DIR, docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG (the Docker Engine that
DOCKER_HOST, the docker context or /var/run/docker.sock names). Without DESTINATION, IMAGE's own name is the
registry reference. The signature policy is checked before anything is written.

Options:
  -f, --format oci|v2s2          Manifest format at the destination (default: as stored)
  --compression-format gzip|zstd Recompress every layer into this format on the way
  --compression-level N
  -D, --disable-compression      Send layers as they are stored (default: to docker://, oci: and oci-archive:
                                 uncompressed layers are gzipped, compressed ones sent as they are)
  --all                          With an index, push every image it lists
  --digestfile FILE              Write the pushed manifest's digest to FILE
  --retry N                      Retries of a failed registry operation (default 3)
  --retry-delay DURATION         Delay between retries (e.g. 2s, 500ms)
  --creds USER[:PASS], --authfile FILE, --tls-verify=BOOL, --cert-dir DIR, --signature-policy FILE
  --sign-by FINGERPRINT          Sign with this GPG key (the gpg binary, GNUPGHOME honoured): a simple signature,
                                 stored in the registries.d lookaside-staging (docker://) or as dir:'s signature-N
  --sign-by-sigstore-private-key FILE
                                 Sign with a cosign private key: the registry's sha256-<hex>.sig tag, an OCI
                                 layout's sha256-<hex>.sig entry, or dir:'s signature-N
  --sign-passphrase-file FILE    The key's passphrase (first line of FILE)
  --sign-identity NAME           The name to sign for (default: the docker:// destination; needed for oci:, dir:)
  -q, --quiet                    No progress report

Examples:
  lading-buildah push --sign-by 0123ABCD... myapp docker://registry.example/myapp:1
  lading-buildah --registries-conf-dir ./registries.d push --sign-by "$FPR" myapp docker://localhost:5000/myapp:1
  lading-buildah push --sign-by-sigstore-private-key cosign.key --sign-passphrase-file pass myapp docker://r/app:1
`,
    options: {
      ...help,
      ...registryOptions,
      format: { type: 'string', short: 'f' },
      'compression-format': { type: 'string' },
      'compression-level': { type: 'string' },
      'disable-compression': { type: 'boolean', short: 'D' },
      all: { type: 'boolean' },
      digestfile: { type: 'string' },
      retry: { type: 'string' },
      'retry-delay': { type: 'string' },
      'remove-signatures': { type: 'boolean' },
      'sign-by': { type: 'string' },
      'sign-by-sigstore-private-key': { type: 'string' },
      'sign-passphrase-file': { type: 'string' },
      'sign-identity': { type: 'string' },
    },
    async run(g, v, pos) {
      if (pos.length < 1 || pos.length > 2)
        throw usageError('push takes an image and an optional destination');
      const format = str(v.format);
      if (format !== undefined && format !== 'oci' && format !== 'v2s2' && format !== 'docker') {
        throw new OptionError('FORMAT_UNKNOWN', `--format=${format}: use oci or v2s2`, { key: 'format' });
      }
      const cf = str(v['compression-format']);
      const { parseCompressionFormat } = await import('../operations/commit.js');
      const compression = cf !== undefined ? parseCompressionFormat(cf) : undefined;
      const retry = intOption(v.retry, 'retry');
      const delay = str(v['retry-delay']);
      const storage = await Storage.open(g.root);
      const quiet = bool(v.quiet);
      const { pushImage } = await import('../operations/push.js');
      const result = await pushImage(storage, pos[0] as string, pos[1], {
        ...transferFrom(v, quiet),
        ...(g.registriesDir !== undefined ? { registriesDir: g.registriesDir } : {}),
        signal: g.signal,
        all: bool(v.all),
        ...defined({
          format: format === 'docker' ? 'v2s2' : (format as 'oci' | 'v2s2' | undefined),
          compression,
          disableCompression: v['disable-compression'] === true ? true : undefined,
          compressionLevel: intOption(v['compression-level'], 'compression-level'),
          retry,
          retryDelayMs: delay === undefined ? undefined : parseDuration(delay),
          digestFile: str(v.digestfile),
          signBy: str(v['sign-by']),
          signBySigstorePrivateKey: str(v['sign-by-sigstore-private-key']),
          signPassphraseFile: str(v['sign-passphrase-file']),
          signIdentity: str(v['sign-identity']),
        }),
      });
      if (!quiet) err(`${result.manifestDigest}\n`);
      return 0;
    },
  },
  containers: {
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
  },
  rm: {
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
  },
  mount: {
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
  },
  inspect: {
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
          if (type === 'container' || !isLadingError(e) || (e as { kind?: string }).kind !== 'not-found')
            throw e;
        }
      }
      const image = await storage.getImage(name);
      out(`${JSON.stringify(await inspectImage(storage, image), null, 4)}\n`);
      return 0;
    },
  },
  images: {
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
  },
  tag: {
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
  },
  rmi: {
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
  },
};

function copyCommand(extract: boolean): CommandDef {
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
      const { copyIntoContainer } = await import('../operations/containers.js');
      await copyIntoContainer(storage, c, sources, dest === '' ? '.' : dest, {
        extract,
        ...defined({ chown: str(v.chown), chmod: str(v.chmod), contextDir: str(v.contextdir) }),
      });
      return 0;
    },
  };
}

function inspectContainer(storage: Storage, c: ContainerState) {
  return {
    Type: 'buildah 0.0.1',
    FromImage: c.fromImage,
    FromImageID: c.fromImageId,
    FromImageDigest: c.fromImageDigest,
    Container: c.name,
    ContainerID: c.id,
    MountPoint: storage.rootfsOf(c),
    ImageAnnotations: {
      'org.opencontainers.image.base.digest': c.fromImageDigest,
      'org.opencontainers.image.base.name': c.fromImage,
      ...c.annotations,
    },
    ImageCreatedBy: c.createdBy,
    OCIv1: c.config,
  };
}

async function inspectImage(storage: Storage, image: ImageRecord) {
  const manifestBytes = await readBlob(storage.store, image.manifest);
  const manifest = decodeManifest(manifestBytes).value;
  const config = parseJson(await readBlob(storage.store, manifest.config), { what: 'image config' });
  return {
    Type: 'buildah 0.0.1',
    FromImage: image.names[0] ?? '',
    FromImageID: image.id,
    FromImageDigest: image.manifest.digest,
    Names: image.names,
    Manifest: parseJson(manifestBytes, { what: 'manifest' }),
    ManifestType: image.manifest.mediaType,
    OCIv1: config,
  };
}

async function imageSize(storage: Storage, image: ImageRecord): Promise<number> {
  try {
    const m = decodeManifest(await readBlob(storage.store, image.manifest)).value;
    return m.layers.reduce((n, l) => n + l.size, m.config.size);
  } catch {
    return 0;
  }
}

/** Removes blobs no stored image reaches; the store's index.json holds nothing of ours, so images are the roots. */
async function pruneBlobs(storage: Storage): Promise<void> {
  const roots: string[] = [];
  for (const i of await storage.listImages()) roots.push(i.manifest.digest);
  for (const c of await storage.listContainers()) if (c.baseManifest) roots.push(c.baseManifest.digest);
  await storage.store.gc({ extraRoots: roots as never });
}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m)
    throw new OptionError('DURATION_INVALID', `--retry-delay=${s}: give a duration such as 2s or 500ms`, {});
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

function epochOption(v: unknown, option: string): number | undefined {
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  if (!/^\d+$/.test(s))
    throw new OptionError('EPOCH_INVALID', `--${option}=${s}: give seconds since 1970`, { key: option });
  return Number(s);
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as never;
}

function usageError(message: string): OptionError {
  return new OptionError('USAGE', message, {});
}

function parseGlobals(argv: readonly string[], signal: AbortSignal): { globals: Globals; rest: string[] } {
  let root = process.env.LADING_BUILDAH_ROOT || defaultRoot();
  let registriesDir: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const m =
      /^--(root|runroot|storage-driver|storage-opt|registries-conf|registries-conf-dir|short-name-alias-conf|userns-uid-map|userns-gid-map|log-level)(?:=(.*))?$/.exec(
        a,
      );
    if (!m) {
      if (a === '--debug') continue;
      break;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw usageError(`--${m[1]} needs a value`);
    if (m[1] === 'root') root = value;
    if (m[1] === 'registries-conf-dir') registriesDir = value;
    if (m[1] === 'registries-conf') registriesConfFlag = value;
    if (m[1] === 'log-level') logLevelFlag = value;
    if (m[1] === 'storage-driver' && value !== 'vfs' && value !== 'overlay' && value !== '') {
      throw new OptionError(
        'STORAGE_DRIVER',
        `--storage-driver=${value}: use vfs or overlay (both mean plain directories here)`,
        {
          key: 'storage-driver',
        },
      );
    }
  }
  return {
    globals: { root, signal, ...(registriesDir !== undefined ? { registriesDir } : {}) },
    rest: argv.slice(i),
  };
}

export interface CliOptions {
  /** `--debug` or LADING_DEBUG: a failure prints its stack. */
  readonly debug?: boolean;
}

/** Parses the global options, then dispatches to the command; errors become a message and an exit code. */
export async function runCli(
  argv: readonly string[],
  usage: string,
  options: CliOptions = {},
): Promise<number> {
  const debug = options.debug ?? false;
  const interrupt = new AbortController();
  const stop = () => interrupt.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { globals, rest } = parseGlobals(argv, interrupt.signal);
    const [name, ...args] = rest;
    if (name === undefined) {
      out(usage);
      return 2;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      const { packageVersion } = await import('../operations/commit.js');
      out(`lading-buildah version ${packageVersion()}\n`);
      return 0;
    }
    // An own command only: `constructor` or `toString` must not find Object.prototype's members.
    const def = name === 'help' || !Object.hasOwn(commands, name) ? undefined : commands[name];
    if (def === undefined) {
      if (name === 'help' || name === '--help' || name === '-h') {
        out(usage);
        return 0;
      }
      err(`Error: unknown command ${printable(JSON.stringify(name))} for "lading-buildah"\n\n${usage}`);
      return wantsDetailedExitCodes() ? 2 : buildahFailureExit;
    }
    const { values, positionals } = parseCommandArgs(args, def.options, def.bareValues);
    if (values.help === true) {
      out(def.usage);
      return 0;
    }
    return await def.run(globals, values, positionals);
  } catch (error) {
    return reportError(error, {
      debug,
      interrupted: interrupt.signal.aborted,
      logLevel: logLevelFlag,
      detailedExitCodes: wantsDetailedExitCodes(),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
