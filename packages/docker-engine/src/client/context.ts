import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@lading/digest';

/** The docker endpoint of a CLI context (`docker context create NAME --docker host=...`). */
export interface DockerContext {
  readonly name: string;
  readonly host: string;
  readonly skipTlsVerify: boolean;
  /** `contexts/tls/<id>/docker`, when the context stores TLS material. */
  readonly tlsDir?: string;
}

const maxConfigBytes = 1 << 20;

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    const st = await stat(path);
    if (st.size > maxConfigBytes) {
      throw new InvalidInputError('DOCKER_CONFIG_TOO_LARGE', `${what} ${path}: larger than 1 MiB`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError('DOCKER_CONFIG_INVALID', `${what} ${path} is not valid JSON`, { cause });
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The context the docker CLI would use: `override` (DOCKER_CONTEXT), else `currentContext` of `config.json`.
 * undefined for none or `default` (the CLI's built-in context: DOCKER_HOST or the default socket). A named context
 * that does not exist, or has no docker endpoint, is an error, as in the CLI.
 */
export async function readCurrentContext(
  configDir: string,
  override?: string,
): Promise<DockerContext | undefined> {
  let name = override ?? '';
  if (name === '') {
    const config = (await readJson(join(configDir, 'config.json'), 'docker config')) as
      | { currentContext?: unknown }
      | undefined;
    name = typeof config?.currentContext === 'string' ? config.currentContext : '';
  }
  if (name === '' || name === 'default') return undefined;
  // The CLI's context store names each context's directory by the sha256 of its name.
  const id = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const meta = (await readJson(metaPath, `docker context "${name}"`)) as
    | { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } }
    | undefined;
  if (meta === undefined) {
    throw new NotFoundError(
      'DOCKER_CONTEXT_NOT_FOUND',
      `docker context "${name}" not found (no ${metaPath}): run docker context ls, or unset DOCKER_CONTEXT / currentContext`,
    );
  }
  const docker = meta.Endpoints?.docker;
  if (typeof docker?.Host !== 'string' || docker.Host === '') {
    throw new InvalidInputError(
      'DOCKER_CONTEXT_NO_HOST',
      `docker context "${name}" has no docker endpoint host (${metaPath})`,
    );
  }
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  return {
    name,
    host: docker.Host,
    skipTlsVerify: docker.SkipTLSVerify === true,
    ...((await isDir(tlsDir)) ? { tlsDir } : {}),
  };
}
