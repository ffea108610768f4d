import { defined, type FileFindings, type FoundPackage } from './found-package.js';

type Json = Record<string, unknown>;

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** package.json's license: a string, the old `{type}` object, or the older `licenses` list (dual licensing). */
export function npmLicense(pkg: Json): string | undefined {
  const one = (v: unknown): string | undefined =>
    text(v) ?? (v !== null && typeof v === 'object' ? text((v as Json).type) : undefined);
  const direct = one(pkg.license);
  if (direct !== undefined) return direct;
  if (Array.isArray(pkg.licenses)) {
    const all = pkg.licenses.map(one).filter((l): l is string => l !== undefined);
    if (all.length > 0) return all.length === 1 ? all[0] : `(${all.join(' OR ')})`;
  }
  return undefined;
}

function person(v: unknown): string | undefined {
  if (typeof v === 'string') return text(v);
  if (v !== null && typeof v === 'object') {
    const name = text((v as Json).name);
    const email = text((v as Json).email);
    if (name !== undefined) return email !== undefined ? `${name} <${email}>` : name;
  }
  return undefined;
}

function parseJson(bytes: Uint8Array): Json | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** An installed package's `node_modules/.../package.json`: its name, version, license, author. */
export function parseNpmPackageJson(path: string, bytes: Uint8Array): FileFindings {
  const pkg = parseJson(bytes);
  if (!pkg) return { path, kind: 'npm-package', warning: 'not a JSON object' };
  const name = text(pkg.name);
  const version = text(pkg.version);
  if (name === undefined || version === undefined)
    return { path, kind: 'npm-package', warning: 'no name and version' };
  const repo = pkg.repository;
  return {
    path,
    kind: 'npm-package',
    packages: [
      defined<FoundPackage>({
        ecosystem: 'npm',
        name,
        version,
        license: npmLicense(pkg),
        description: text(pkg.description),
        homepage:
          text(pkg.homepage) ??
          text(repo) ??
          (repo !== null && typeof repo === 'object' ? text((repo as Json).url) : undefined),
        originator: person(pkg.author),
      }),
    ],
  };
}

const afterLastNodeModules = (key: string) =>
  key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * package-lock.json, npm-shrinkwrap.json and node_modules/.package-lock.json: lockfile v2/v3 `packages` (keys
 * `node_modules/...`, links and the root left out) or v1's nested `dependencies`.
 */
export function parseNpmLock(path: string, bytes: Uint8Array): FileFindings {
  const lock = parseJson(bytes);
  if (!lock) return { path, kind: 'npm-lock', warning: 'not a JSON object' };
  const found: FoundPackage[] = [];
  const packages = lock.packages;
  if (packages !== null && typeof packages === 'object') {
    for (const [key, raw] of Object.entries(packages as Record<string, unknown>)) {
      if (!key.includes('node_modules/') || raw === null || typeof raw !== 'object') continue;
      const entry = raw as Json;
      if (entry.link === true) continue;
      const name = text(entry.name) ?? afterLastNodeModules(key);
      const version = text(entry.version);
      if (version === undefined) continue;
      found.push(defined<FoundPackage>({ ecosystem: 'npm', name, version, license: npmLicense(entry) }));
    }
  } else {
    const walk = (deps: unknown, depth: number) => {
      if (deps === null || typeof deps !== 'object' || depth > 64) return;
      for (const [name, raw] of Object.entries(deps as Record<string, unknown>)) {
        if (raw === null || typeof raw !== 'object') continue;
        const version = text((raw as Json).version);
        if (version !== undefined) found.push({ ecosystem: 'npm', name, version });
        walk((raw as Json).dependencies, depth + 1);
      }
    };
    walk(lock.dependencies, 0);
  }
  return { path, kind: 'npm-lock', packages: found };
}

/** `"@scope/name@^1", name@~2:` -> `@scope/name` (the first spec names the package; berry adds `npm:`). */
function yarnName(header: string): string | undefined {
  const first = (header.split(',')[0] ?? '').trim().replace(/^"|"$/g, '');
  const at = first.indexOf('@', 1);
  if (at <= 0) return undefined;
  const range = first.slice(at + 1);
  if (/^(?:workspace|link|portal|patch):/.test(range)) return undefined;
  return first.slice(0, at);
}

/** yarn.lock, classic (`version "1.2.3"`) and berry (`version: 1.2.3`). */
export function parseYarnLock(path: string, bytes: Uint8Array): FileFindings {
  const found: FoundPackage[] = [];
  let name: string | undefined;
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      name = line.endsWith(':') && !line.startsWith('__metadata') ? yarnName(line.slice(0, -1)) : undefined;
      continue;
    }
    const m = name !== undefined ? /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(line) : null;
    if (m && name !== undefined) {
      found.push({ ecosystem: 'npm', name, version: m[1] as string });
      name = undefined;
    }
  }
  return { path, kind: 'yarn-lock', packages: found };
}
