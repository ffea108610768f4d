import { InvalidInputError, setOwn } from '@lading/digest';
import type { ContainerConfig, Healthcheck, History, ImageConfig } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withContainer(config: ImageConfig, update: (c: Mutable<ContainerConfig>) => void): ImageConfig {
  const c: Mutable<ContainerConfig> = { ...(config.config ?? {}) };
  update(c);
  return { ...config, config: c };
}

/**
 * Sets environment variables (`KEY=VALUE` strings or a record): an existing key is replaced in place, a new one is
 * appended, as Dockerfile ENV does. `KEY-` in the list form removes KEY (`buildah config --env KEY-`), as does a
 * value of `undefined` in the record form (`buildah commit --unsetenv KEY`).
 */
export function withEnv(
  config: ImageConfig,
  vars: readonly string[] | Readonly<Record<string, string | undefined>>,
): ImageConfig {
  const entries: [string, string | undefined][] = Array.isArray(vars)
    ? (vars as readonly string[]).map((v) => {
        const eq = v.indexOf('=');
        if (eq < 0 && v.endsWith('-')) return [v.slice(0, -1), undefined];
        if (eq <= 0) {
          throw new InvalidInputError(
            'ENV_INVALID',
            `invalid environment entry ${JSON.stringify(v)}: expected KEY=VALUE`,
          );
        }
        return [v.slice(0, eq), v.slice(eq + 1)];
      })
    : Object.entries(vars as Record<string, string | undefined>);
  return withContainer(config, (c) => {
    let env = [...(c.Env ?? [])];
    for (const [key, value] of entries) {
      const named = (e: string) => e === key || e.startsWith(`${key}=`);
      // A removal drops every entry of the name (a base image may list one twice), as buildah's UnsetEnv.
      if (value === undefined) env = env.filter((e) => !named(e));
      else {
        const at = env.findIndex(named);
        if (at >= 0) env[at] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
    }
    c.Env = env;
  });
}

export function withCmd(config: ImageConfig, cmd: readonly string[] | undefined): ImageConfig {
  return withContainer(config, (c) => {
    if (cmd === undefined) delete c.Cmd;
    else c.Cmd = [...cmd];
  });
}

/** Sets the entrypoint; like Dockerfile ENTRYPOINT, it clears an inherited Cmd unless `keepCmd`. */
export function withEntrypoint(
  config: ImageConfig,
  entrypoint: readonly string[] | undefined,
  options: { keepCmd?: boolean } = {},
): ImageConfig {
  return withContainer(config, (c) => {
    if (entrypoint === undefined) delete c.Entrypoint;
    else c.Entrypoint = [...entrypoint];
    if (!options.keepCmd) delete c.Cmd;
  });
}

/** Sets the working directory; `undefined` removes it (`buildah config --workingdir ''`). */
export function withWorkingDir(config: ImageConfig, dir: string | undefined): ImageConfig {
  return withContainer(config, (c) => {
    if (dir === undefined) delete c.WorkingDir;
    else c.WorkingDir = dir;
  });
}

/** Sets the user; `undefined` removes it (`buildah config --user ''`). */
export function withUser(config: ImageConfig, user: string | undefined): ImageConfig {
  return withContainer(config, (c) => {
    if (user === undefined) delete c.User;
    else c.User = user;
  });
}

/**
 * `KEY=VALUE` or `KEY-` (remove KEY, `buildah config --label KEY-`) into `[key, value]`; `undefined` for a removal.
 * The first `=` splits: a value may hold more.
 */
function keyValueEntry(spec: string, what: string, code: string): [string, string | undefined] {
  const eq = spec.indexOf('=');
  if (eq < 0 && spec.endsWith('-')) return [spec.slice(0, -1), undefined];
  if (eq <= 0) {
    throw new InvalidInputError(
      code,
      `invalid ${what} ${JSON.stringify(spec)}: expected KEY=VALUE, or KEY- to remove`,
    );
  }
  return [spec.slice(0, eq), spec.slice(eq + 1)];
}

/**
 * Adds or replaces labels, in order: a record, where a value of `undefined` removes the label, or a list of
 * `KEY=VALUE` and `KEY-` (buildah's removal form), applied one after another.
 */
export function withLabels(
  config: ImageConfig,
  labels: readonly string[] | Readonly<Record<string, string | undefined>>,
): ImageConfig {
  const entries: [string, string | undefined][] = Array.isArray(labels)
    ? (labels as readonly string[]).map((l) => keyValueEntry(l, 'label', 'LABEL_INVALID'))
    : Object.entries(labels as Record<string, string | undefined>);
  return withContainer(config, (c) => {
    const next: Record<string, string> = { ...(c.Labels ?? {}) };
    for (const [k, v] of entries) {
      if (v === undefined) delete next[k];
      else setOwn(next, k, v);
    }
    c.Labels = next;
  });
}

/** Normalises `80`, `80/tcp`, `53/udp`, `8000-8002/tcp` as Docker does; anything else is an InvalidInputError. */
export function parsePort(spec: string): string {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(spec.trim());
  if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new InvalidInputError(
      'PORT_INVALID',
      `invalid port ${JSON.stringify(spec)}: expected PORT[/tcp|udp|sctp]`,
    );
  }
  return `${m[1]}${m[2] ? `-${m[2]}` : ''}/${(m[3] ?? 'tcp').toLowerCase()}`;
}

export interface PortEditOptions {
  /**
   * Keep each port as written, unchecked (buildah's `SetPort`: `80` stays `80`, `80/TCP` stays `80/TCP`), and remove
   * exactly the key written. Default: Docker's normal form (`parsePort`) for both.
   */
  readonly asWritten?: boolean;
}

/**
 * Exposes ports, in order; `P-` removes port P (`buildah config --port P-`; a range `8000-8002` is not a removal).
 */
export function withExposedPorts(
  config: ImageConfig,
  ports: readonly string[],
  options: PortEditOptions = {},
): ImageConfig {
  const key = (p: string) => (options.asWritten ? p : parsePort(p));
  return withContainer(config, (c) => {
    const next: Record<string, Record<string, never>> = { ...(c.ExposedPorts ?? {}) };
    for (const p of ports) {
      if (p.endsWith('-')) delete next[key(p.slice(0, -1))];
      else setOwn(next, key(p), {});
    }
    c.ExposedPorts = next;
  });
}

/** Adds volumes, in order; `V-` removes volume V (`buildah config --volume V-`). */
export function withVolumes(config: ImageConfig, volumes: readonly string[]): ImageConfig {
  return withContainer(config, (c) => {
    const next: Record<string, Record<string, never>> = { ...(c.Volumes ?? {}) };
    for (const v of volumes) {
      if (v.endsWith('-')) delete next[v.slice(0, -1)];
      else setOwn(next, v, {});
    }
    c.Volumes = next;
  });
}

export function withStopSignal(config: ImageConfig, signal: string): ImageConfig {
  if (!/^(SIG[A-Z0-9+-]+|\d+|[A-Z][A-Z0-9+-]*)$/.test(signal)) {
    throw new InvalidInputError(
      'SIGNAL_INVALID',
      `invalid stop signal ${JSON.stringify(signal)}: e.g. SIGTERM or 15`,
    );
  }
  return withContainer(config, (c) => {
    c.StopSignal = signal;
  });
}

export function withHealthcheck(config: ImageConfig, healthcheck: Healthcheck | undefined): ImageConfig {
  return withContainer(config, (c) => {
    if (healthcheck === undefined) delete c.Healthcheck;
    else c.Healthcheck = healthcheck;
  });
}

/** Sets the author; `undefined` removes it (`buildah config --author ''`). */
export function withAuthor(config: ImageConfig, author: string | undefined): ImageConfig {
  if (author !== undefined) return { ...config, author };
  const { author: _dropped, ...rest } = config;
  return rest;
}

export function withHistory(config: ImageConfig, entry: History): ImageConfig {
  return { ...config, history: [...(config.history ?? []), entry] };
}
