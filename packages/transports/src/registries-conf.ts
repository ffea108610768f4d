import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@lading/digest';
import { parse } from 'smol-toml';

/**
 * The registries.conf containers/image reads (`pkg/sysregistriesv2`): `$CONTAINERS_REGISTRIES_CONF`, else
 * `~/.config/containers/registries.conf` when it exists, else `/etc/containers/registries.conf`.
 */
export function defaultRegistriesConf(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTAINERS_REGISTRIES_CONF) return env.CONTAINERS_REGISTRIES_CONF;
  const user = join(env.HOME || homedir(), '.config', 'containers', 'registries.conf');
  try {
    readFileSync(user);
    return user;
  } catch {
    return '/etc/containers/registries.conf';
  }
}

function readToml(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // no file: no insecure registries, as containers/image
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new InvalidInputError(
      'REGISTRIES_CONF_INVALID',
      `${path}: not valid TOML: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function insecureIn(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  // v2: [[registry]] location = "host[:port][/path]", insecure = true (a prefix match in containers/image)
  for (const r of Array.isArray(doc.registry) ? doc.registry : []) {
    const entry = r as { location?: unknown; prefix?: unknown; insecure?: unknown };
    const location = typeof entry.prefix === 'string' ? entry.prefix : entry.location;
    if (entry.insecure === true && typeof location === 'string') out.push(location);
  }
  // v1: [registries.insecure] registries = ["host:port"]
  const v1 = (doc.registries as { insecure?: { registries?: unknown } } | undefined)?.insecure?.registries;
  for (const host of Array.isArray(v1) ? v1 : []) if (typeof host === 'string') out.push(host);
  return out;
}

/**
 * The registries registries.conf marks insecure (plain HTTP or unverified TLS allowed), from the file and its
 * `registries.conf.d/*.conf` drop-ins beside it. An unreadable file is none; a file that is not TOML is an error.
 */
export function readInsecureRegistries(path: string = defaultRegistriesConf()): string[] {
  const docs = [readToml(path)];
  const dropIns = join(path, '..', 'registries.conf.d');
  let names: string[] = [];
  try {
    names = readdirSync(dropIns)
      .filter((n) => n.endsWith('.conf'))
      .sort();
  } catch {
    // no drop-in directory
  }
  for (const n of names) docs.push(readToml(join(dropIns, n)));
  return docs.flatMap((d) => (d === undefined ? [] : insecureIn(d)));
}

/** Whether `registry` (host[:port]) is one of `insecure` (a location, or a prefix of one with a path). */
export function isInsecureRegistry(registry: string, insecure: readonly string[]): boolean {
  return insecure.some((l) => l === registry || l.startsWith(`${registry}/`));
}
