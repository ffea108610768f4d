import { OptionError } from '@lading/digest';
import type { CommitOptions } from '../../operations/commit.js';
import { Storage } from '../../storage/storage.js';
import { bool, intOption, list, str } from '../args.js';
import { type CommandDef, defined, err, help, out, registryOptions, usageError } from '../command.js';
import { printableLine } from '../report-error.js';
import { transferFrom } from '../transfer-options.js';

export const commit: CommandDef = {
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
    if (pos.length < 1 || pos.length > 2) throw usageError('commit takes a container and an optional image');
    const format = str(v.format) ?? 'oci';
    if (format !== 'oci' && format !== 'docker') {
      throw new OptionError('FORMAT_UNKNOWN', `--format=${format}: use oci or docker`, { key: 'format' });
    }
    const cf = str(v['compression-format']);
    const { commitContainer, parseCompressionFormat, writeIidFile } = await import(
      '../../operations/commit.js'
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
};

function epochOption(v: unknown, option: string): number | undefined {
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  if (!/^\d+$/.test(s))
    throw new OptionError('EPOCH_INVALID', `--${option}=${s}: give seconds since 1970`, { key: option });
  return Number(s);
}
