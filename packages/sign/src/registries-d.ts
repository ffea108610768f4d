import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError } from '@lading/digest';
import { formatReference, type Reference, referenceName } from '@lading/reference-store/reference';
import { isJsonObject } from './strict-json.js';

/** One namespace of registries.d (containers-registries.d(5)). */
export interface LookasideNamespace {
  /** For reading, and for writing when no staging location is set. */
  readonly lookaside?: string;
  /** For writing only. */
  readonly lookasideStaging?: string;
  readonly useSigstoreAttachments?: boolean;
}

/** The merged configuration of a registries.d directory. */
export interface RegistriesConfig {
  /** The directory read (or undefined when none existed). */
  readonly dir: string | undefined;
  readonly defaultDocker?: LookasideNamespace;
  readonly docker: ReadonlyMap<string, LookasideNamespace>;
}

export interface RegistriesDirOptions {
  /** `--registries.d DIR`: used as it is. */
  readonly dir?: string;
  readonly home?: string;
  /** Default `/etc/containers/registries.d`. */
  readonly systemDir?: string;
}

/**
 * The registries.d directory as containers/image picks it (`docker/registries_d.go`): the one given, else
 * `~/.config/containers/registries.d` when it exists, else `/etc/containers/registries.d`.
 */
export async function registriesDir(options: RegistriesDirOptions = {}): Promise<string> {
  if (options.dir !== undefined && options.dir !== '') return options.dir;
  const user = join(options.home ?? homedir(), '.config', 'containers', 'registries.d');
  try {
    await stat(user);
    return user;
  } catch {
    return options.systemDir ?? '/etc/containers/registries.d';
  }
}

function str(v: unknown, key: string, file: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new InvalidInputError('REGISTRIES_D_INVALID', `${file}: "${key}" must be a string`);
  return v;
}

function parseNamespace(v: unknown, file: string): LookasideNamespace {
  if (!isJsonObject(v))
    throw new InvalidInputError('REGISTRIES_D_INVALID', `${file}: a namespace must be a mapping`);
  // the older sigstore/sigstore-staging keys are read when the lookaside ones are absent, as containers/image does
  const lookaside = str(v.lookaside, 'lookaside', file) || str(v.sigstore, 'sigstore', file);
  const staging =
    str(v['lookaside-staging'], 'lookaside-staging', file) ||
    str(v['sigstore-staging'], 'sigstore-staging', file);
  const attach = v['use-sigstore-attachments'];
  if (attach !== undefined && typeof attach !== 'boolean')
    throw new InvalidInputError(
      'REGISTRIES_D_INVALID',
      `${file}: "use-sigstore-attachments" must be true or false`,
    );
  return {
    ...(lookaside ? { lookaside } : {}),
    ...(staging ? { lookasideStaging: staging } : {}),
    ...(attach !== undefined ? { useSigstoreAttachments: attach } : {}),
  };
}

/** Reads and merges every `*.yaml` of the directory; a namespace or `default-docker` defined twice is an error. */
export async function loadRegistriesConfig(options: RegistriesDirOptions = {}): Promise<RegistriesConfig> {
  const dir = await registriesDir(options);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { dir: undefined, docker: new Map() };
    throw cause;
  }
  let defaultDocker: LookasideNamespace | undefined;
  let defaultFrom = '';
  const docker = new Map<string, LookasideNamespace>();
  const from = new Map<string, string>();
  // the YAML parser is loaded only when there is YAML to read
  const parseYaml = names.length > 0 ? (await import('js-yaml')).load : undefined;
  for (const name of names) {
    const file = join(dir, name);
    let doc: unknown;
    try {
      doc = (parseYaml as NonNullable<typeof parseYaml>)(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new InvalidInputError('REGISTRIES_D_INVALID', `parsing ${file}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (doc === null || doc === undefined) continue;
    if (!isJsonObject(doc)) throw new InvalidInputError('REGISTRIES_D_INVALID', `${file}: not a mapping`);
    if (doc['default-docker'] !== undefined && doc['default-docker'] !== null) {
      if (defaultDocker !== undefined) {
        throw new InvalidInputError(
          'REGISTRIES_D_INVALID',
          `"default-docker" defined both in "${defaultFrom}" and "${file}"`,
        );
      }
      defaultDocker = parseNamespace(doc['default-docker'], file);
      defaultFrom = file;
    }
    if (doc.docker !== undefined && doc.docker !== null) {
      if (!isJsonObject(doc.docker))
        throw new InvalidInputError('REGISTRIES_D_INVALID', `${file}: "docker" must be a mapping`);
      for (const [ns, v] of Object.entries(doc.docker)) {
        if (docker.has(ns)) {
          throw new InvalidInputError(
            'REGISTRIES_D_INVALID',
            `"docker" namespace "${ns}" defined both in "${from.get(ns)}" and "${file}"`,
          );
        }
        docker.set(ns, parseNamespace(v, file));
        from.set(ns, file);
      }
    }
  }
  return { dir, ...(defaultDocker ? { defaultDocker } : {}), docker };
}

/** The image's identity, then its repository and parent namespaces, then `*.domain` wildcards (containers/image). */
export function referenceNamespaces(ref: Reference): string[] {
  const out = [formatReference(ref)];
  let name = referenceName(ref);
  for (;;) {
    out.push(name);
    const slash = name.lastIndexOf('/');
    if (slash < 0) break;
    name = name.slice(0, slash);
  }
  let host = name.includes(':') ? name.slice(0, name.indexOf(':')) : name;
  while (host.includes('.')) {
    host = host.slice(host.indexOf('.') + 1);
    out.push(`*.${host}`);
  }
  return out;
}

function pick(ns: LookasideNamespace, write: boolean): string | undefined {
  return (write ? ns.lookasideStaging : undefined) ?? ns.lookaside;
}

/** The built-in lookaside when nothing is configured: /var/lib/containers/sigstore for root, else the user's. */
export function builtinLookaside(home = homedir()): string {
  const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
  return pathToFileURL(root ? '/var/lib/containers/sigstore' : join(home, '.local/share/containers/sigstore'))
    .href;
}

/**
 * The lookaside base URL for an image's repository, for writing (`lookaside-staging` first) or reading: the most
 * specific configured namespace, else `default-docker`, else the built-in directory; the repository path is added.
 */
export function lookasideBase(
  config: RegistriesConfig,
  ref: Reference,
  options: { write: boolean; home?: string },
): URL {
  let top: string | undefined;
  for (const ns of referenceNamespaces(ref)) {
    const entry = config.docker.get(ns);
    top = entry ? pick(entry, options.write) : undefined;
    if (top) break;
  }
  top ||= config.defaultDocker ? pick(config.defaultDocker, options.write) : undefined;
  top ||= builtinLookaside(options.home);
  let url: URL;
  try {
    url = new URL(top);
  } catch (cause) {
    throw new InvalidInputError('REGISTRIES_D_INVALID', `invalid signature storage URL ${top}`, { cause });
  }
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${ref.repository}`;
  return url;
}

/** Whether the namespace asks for sigstore attachments (`use-sigstore-attachments`, default false). */
export function usesSigstoreAttachments(config: RegistriesConfig, ref: Reference): boolean {
  for (const ns of referenceNamespaces(ref)) {
    const v = config.docker.get(ns)?.useSigstoreAttachments;
    if (v !== undefined) return v;
  }
  return config.defaultDocker?.useSigstoreAttachments ?? false;
}
