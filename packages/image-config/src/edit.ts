import { InvalidInputError } from '@lading/digest';
import type { ContainerConfig, Healthcheck, History, ImageConfig } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withContainer(config: ImageConfig, update: (c: Mutable<ContainerConfig>) => void): ImageConfig {
  const c: Mutable<ContainerConfig> = { ...(config.config ?? {}) };
  update(c);
  return { ...config, config: c };
}

/**
 * Sets environment variables (`KEY=VALUE` strings or a record): an existing key is replaced in place, a new one is
 * appended, as Dockerfile ENV and `buildah config --env` do. `KEY-` in the list form removes KEY (buildah's syntax).
 */
export function withEnv(
  config: ImageConfig,
  vars: readonly string[] | Readonly<Record<string, string>>,
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
    : Object.entries(vars as Record<string, string>);
  return withContainer(config, (c) => {
    const env = [...(c.Env ?? [])];
    for (const [key, value] of entries) {
      const at = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
      if (value === undefined) {
        if (at >= 0) env.splice(at, 1);
      } else if (at >= 0) env[at] = `${key}=${value}`;
      else env.push(`${key}=${value}`);
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

export function withWorkingDir(config: ImageConfig, dir: string): ImageConfig {
  return withContainer(config, (c) => {
    c.WorkingDir = dir;
  });
}

export function withUser(config: ImageConfig, user: string): ImageConfig {
  return withContainer(config, (c) => {
    c.User = user;
  });
}

/** Adds or replaces labels; a value of `undefined` removes the label. */
export function withLabels(
  config: ImageConfig,
  labels: Readonly<Record<string, string | undefined>>,
): ImageConfig {
  return withContainer(config, (c) => {
    const next: Record<string, string> = { ...(c.Labels ?? {}) };
    for (const [k, v] of Object.entries(labels)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
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

export function withExposedPorts(config: ImageConfig, ports: readonly string[]): ImageConfig {
  return withContainer(config, (c) => {
    const next: Record<string, Record<string, never>> = { ...(c.ExposedPorts ?? {}) };
    for (const p of ports) next[parsePort(p)] = {};
    c.ExposedPorts = next;
  });
}

export function withVolumes(config: ImageConfig, volumes: readonly string[]): ImageConfig {
  return withContainer(config, (c) => {
    const next: Record<string, Record<string, never>> = { ...(c.Volumes ?? {}) };
    for (const v of volumes) next[v] = {};
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

export function withAuthor(config: ImageConfig, author: string): ImageConfig {
  return { ...config, author };
}

export function withHistory(config: ImageConfig, entry: History): ImageConfig {
  return { ...config, history: [...(config.history ?? []), entry] };
}
