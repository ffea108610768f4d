import { OptionError } from '@lading/digest';
import { Storage } from '../../storage/storage.js';
import { bool, intOption, str } from '../args.js';
import { type CommandDef, defined, err, help, registryOptions, usageError } from '../command.js';
import { transferFrom } from '../transfer-options.js';

export const push: CommandDef = {
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
    if (pos.length < 1 || pos.length > 2) throw usageError('push takes an image and an optional destination');
    const format = str(v.format);
    if (format !== undefined && format !== 'oci' && format !== 'v2s2' && format !== 'docker') {
      throw new OptionError('FORMAT_UNKNOWN', `--format=${format}: use oci or v2s2`, { key: 'format' });
    }
    const cf = str(v['compression-format']);
    const { parseCompressionFormat } = await import('../../operations/commit.js');
    const compression = cf !== undefined ? parseCompressionFormat(cf) : undefined;
    const retry = intOption(v.retry, 'retry');
    const delay = str(v['retry-delay']);
    const storage = await Storage.open(g.root);
    const quiet = bool(v.quiet);
    const { pushImage } = await import('../../operations/push.js');
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
};

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m)
    throw new OptionError('DURATION_INVALID', `--retry-delay=${s}: give a duration such as 2s or 500ms`, {});
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}
