import { OptionError, parsePlatform } from '@lading/digest';
import type { PullPolicy } from '../../operations/containers.js';
import { Storage } from '../../storage/storage.js';
import { bool, str } from '../args.js';
import { type CommandDef, help, out, registryOptions, usageError } from '../command.js';
import { transferFrom } from '../transfer-options.js';

export const fromCommand: CommandDef = {
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
    const { createWorkingContainer } = await import('../../operations/containers.js');
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
};

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
