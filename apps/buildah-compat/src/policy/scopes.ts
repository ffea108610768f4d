import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';
import type { ImageReference } from '@lading/transports';

/** A path made absolute with symlinks resolved as far as it exists (containers/image's explicitfilepath). */
export async function resolveExplicitPath(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await resolveExplicitPath(parent), basename(abs));
  }
}

/** `/a/b/c` -> `/a/b/c`, `/a/b`, `/a` (never `/`: that would shadow the transport's `""` default). */
function pathNamespaces(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== '/' && p !== '' && p.includes('/')) {
    out.push(p);
    p = p.slice(0, p.lastIndexOf('/'));
  }
  return out;
}

/** `host/a/b` -> `host/a/b`, `host/a`, `host`, then `*.example.com`-style wildcards of the host. */
function repositoryNamespaces(name: string): string[] {
  const out = [name];
  let n = name;
  while (n.includes('/')) {
    n = n.slice(0, n.lastIndexOf('/'));
    out.push(n);
  }
  // Wildcards name subdomains without a port (containers-policy.json(5)): `*.example.com` matches
  // `registry.example.com:5000` too.
  let host = n.includes(':') ? n.slice(0, n.indexOf(':')) : n;
  while (host.includes('.')) {
    host = host.slice(host.indexOf('.') + 1);
    out.push(`*.${host}`);
  }
  return out;
}

function nameOnly(normalized: string): string {
  const ref = parseNormalizedReference(normalized);
  return `${ref.registry}/${ref.repository}`;
}

/**
 * The scopes a policy may name for an image, most specific first: the identity
 * (`PolicyConfigurationIdentity`) then its namespaces (`PolicyConfigurationNamespaces`), as each transport of
 * containers/image defines them. docker-archive has none: only the transport's `""` entry applies to it.
 */
export async function policyScopes(ref: ImageReference): Promise<string[]> {
  switch (ref.transport) {
    case 'docker': {
      const full = formatReference(withDefaultTag(parseNormalizedReference(ref.ref)));
      return [full, ...repositoryNamespaces(nameOnly(ref.ref))];
    }
    case 'containers-storage': {
      // containers/image prefixes these with the store (`[driver@root+runroot]`); there is one store here, so
      // scopes are matched without it (see `normalizeScope`). An image ID has no repository to match.
      try {
        const parsed = withDefaultTag(parseNormalizedReference(ref.name));
        return [formatReference(parsed), ...repositoryNamespaces(`${parsed.registry}/${parsed.repository}`)];
      } catch {
        return [ref.name];
      }
    }
    // The ref name is not part of an OCI image's identity: "DIR:" and "DIR:name" may be the same image and cannot
    // be told apart without reading the layout, so containers/image scopes by the (resolved) directory alone.
    case 'oci':
      return pathNamespaces(await resolveExplicitPath(ref.dir));
    case 'oci-archive':
      return pathNamespaces(await resolveExplicitPath(ref.file));
    case 'dir':
      return pathNamespaces(await resolveExplicitPath(ref.dir));
    // docker-daemon has no identity either (an image ID names nothing to scope by): the "" entry only.
    case 'docker-archive':
    case 'docker-daemon':
      return [];
  }
}

/** A containers-storage scope without its `[driver@root]` store prefix. */
export function normalizeScope(transport: string, scope: string): string {
  if (transport === 'containers-storage' && scope.startsWith('[')) {
    const end = scope.indexOf(']');
    if (end > 0) return scope.slice(end + 1);
  }
  return scope;
}
