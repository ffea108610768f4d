import { OptionError } from '@lading/digest';
import type { ContainerConfig, ImageConfig } from '@lading/image-config';
import type { ContainerState, Storage } from '../storage/storage.js';

/** The edits of `buildah config`; list options may be repeated. `KEY-` removes a key (env, label, port, annotation). */
export interface ConfigEdits {
  readonly env?: readonly string[];
  readonly cmd?: string;
  readonly entrypoint?: string;
  readonly workingDir?: string;
  readonly user?: string;
  readonly labels?: readonly string[];
  readonly ports?: readonly string[];
  readonly annotations?: readonly string[];
  readonly volumes?: readonly string[];
  readonly author?: string;
  readonly createdBy?: string;
  readonly os?: string;
  readonly arch?: string;
  readonly variant?: string;
  readonly stopSignal?: string;
  readonly shell?: string;
}

/** A JSON array as is; anything else split like a shell would (quotes, backslashes), as buildah does. */
export function parseCommand(value: string, option: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed;
    } catch {
      // not JSON: fall through to shell words
    }
  }
  return shellWords(value, option);
}

export function shellWords(s: string, option: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1] as string)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (quote)
    throw new OptionError(
      'UNTERMINATED_QUOTE',
      `${option}: unterminated ${quote} quote in ${JSON.stringify(s)}`,
      {},
    );
  if (has || cur !== '') out.push(cur);
  return out;
}

function keyValue(spec: string, option: string): { key: string; value?: string } {
  if (spec.endsWith('-') && !spec.includes('=')) return { key: spec.slice(0, -1) };
  const eq = spec.indexOf('=');
  if (eq <= 0) {
    throw new OptionError(
      'KEY_VALUE_INVALID',
      `${option} ${JSON.stringify(spec)}: use KEY=VALUE (or KEY- to remove)`,
      {},
    );
  }
  return { key: spec.slice(0, eq), value: spec.slice(eq + 1) };
}

function editMap(
  map: Readonly<Record<string, string>> | undefined,
  specs: readonly string[],
  option: string,
): Record<string, string> {
  const out: Record<string, string> = { ...(map ?? {}) };
  for (const spec of specs) {
    const { key, value } = keyValue(spec, option);
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function editEnv(env: readonly string[] | undefined, specs: readonly string[]): string[] {
  const out = [...(env ?? [])];
  for (const spec of specs) {
    const { key, value } = keyValue(spec, '--env');
    const at = out.findIndex((e) => e.split('=')[0] === key);
    if (value === undefined) {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    // buildah expands $VAR from the existing environment.
    const expanded = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => {
      const found = out.find((e) => e.split('=')[0] === name);
      return found === undefined ? m : found.slice(name.length + 1);
    });
    if (at >= 0) out[at] = `${key}=${expanded}`;
    else out.push(`${key}=${expanded}`);
  }
  return out;
}

function portKey(spec: string): string {
  if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(spec)) {
    throw new OptionError('PORT_INVALID', `--port ${JSON.stringify(spec)}: use PORT[/tcp|udp|sctp]`, {});
  }
  // Kept as given, as buildah stores it (a bare number means tcp to every runtime).
  return spec;
}

const omitEmpty = <T extends object>(o: T): T =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) =>
        v !== undefined &&
        !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0),
    ),
  ) as T;

/** Applies edits to a container's config and annotations (in place), then saves the container. */
export async function configureContainer(
  storage: Storage,
  state: ContainerState,
  edits: ConfigEdits,
): Promise<void> {
  const c: Record<string, unknown> = { ...(state.config.config ?? {}) };
  if (edits.env?.length) c.Env = editEnv(c.Env as string[] | undefined, edits.env);
  if (edits.cmd !== undefined) c.Cmd = edits.cmd === '' ? undefined : parseCommand(edits.cmd, '--cmd');
  if (edits.entrypoint !== undefined) {
    const e = edits.entrypoint.trim();
    // buildah: a JSON array is exec form; any other string runs through the shell.
    c.Entrypoint =
      e === ''
        ? undefined
        : e.startsWith('[')
          ? parseCommand(e, '--entrypoint')
          : ['/bin/sh', '-c', edits.entrypoint];
  }
  if (edits.workingDir !== undefined) c.WorkingDir = edits.workingDir || undefined;
  if (edits.user !== undefined) c.User = edits.user || undefined;
  if (edits.labels?.length) c.Labels = editMap(c.Labels as Record<string, string>, edits.labels, '--label');
  if (edits.ports?.length) {
    const ports: Record<string, Record<string, never>> = { ...((c.ExposedPorts as object) ?? {}) };
    for (const p of edits.ports) {
      if (p.endsWith('-')) delete ports[portKey(p.slice(0, -1))];
      else ports[portKey(p)] = {};
    }
    c.ExposedPorts = ports;
  }
  if (edits.volumes?.length) {
    const vols: Record<string, Record<string, never>> = { ...((c.Volumes as object) ?? {}) };
    for (const v of edits.volumes) {
      if (v.endsWith('-')) delete vols[v.slice(0, -1)];
      else vols[v] = {};
    }
    c.Volumes = vols;
  }
  if (edits.stopSignal !== undefined) c.StopSignal = edits.stopSignal || undefined;
  if (edits.shell !== undefined)
    c.Shell = edits.shell === '' ? undefined : parseCommand(edits.shell, '--shell');
  const next: Record<string, unknown> = { ...state.config, config: omitEmpty(c) as ContainerConfig };
  if (edits.author !== undefined) next.author = edits.author || undefined;
  if (edits.os !== undefined) next.os = edits.os;
  if (edits.arch !== undefined) next.architecture = edits.arch;
  if (edits.variant !== undefined) next.variant = edits.variant || undefined;
  state.config = omitUndefined(next) as unknown as ImageConfig;
  if (edits.annotations?.length)
    state.annotations = editMap(state.annotations, edits.annotations, '--annotation');
  if (edits.createdBy !== undefined) state.createdBy = edits.createdBy;
  await storage.saveContainer(state);
}

const omitUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
