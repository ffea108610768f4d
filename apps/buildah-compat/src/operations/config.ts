import { OptionError } from '@lading/digest';
import {
  type ContainerConfig,
  type ImageConfig,
  withAuthor,
  withCmd,
  withEntrypoint,
  withEnv,
  withExposedPorts,
  withLabels,
  withUser,
  withVolumes,
  withWorkingDir,
} from '@lading/image-config';
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

/**
 * `--env` one at a time through `withEnv`: each value's `$VAR` and `${VAR}` expand from the environment as the
 * entries before it left it (buildah's config.go); an unset variable is left as written.
 */
function editEnv(config: ImageConfig, specs: readonly string[]): ImageConfig {
  let out = config;
  for (const spec of specs) {
    const { key, value } = keyValue(spec, '--env');
    if (value === undefined) {
      out = withEnv(out, [`${key}-`]);
      continue;
    }
    const env = out.config?.Env ?? [];
    const expanded = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => {
      const found = env.find((e) => e.split('=')[0] === name);
      return found === undefined ? m : found.slice(name.length + 1);
    });
    out = withEnv(out, [`${key}=${expanded}`]);
  }
  return out;
}

function portSpec(spec: string): string {
  const port = spec.endsWith('-') ? spec.slice(0, -1) : spec;
  if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(port)) {
    throw new OptionError('PORT_INVALID', `--port ${JSON.stringify(port)}: use PORT[/tcp|udp|sctp]`, {});
  }
  return spec;
}

/** An entrypoint as buildah takes it: a JSON array is exec form; any other string runs through the shell. */
function entrypointOf(value: string): string[] | undefined {
  const e = value.trim();
  if (e === '') return undefined;
  return e.startsWith('[') ? parseCommand(e, '--entrypoint') : ['/bin/sh', '-c', value];
}

const omitEmpty = <T extends object>(o: T): T =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) =>
        v !== undefined &&
        !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0),
    ),
  ) as T;

/**
 * Applies edits to a container's config and annotations (in place), then saves the container. The config edits go
 * through `@lading/image-config`'s `with*` functions; the flags are checked here first (an OptionError).
 */
export async function configureContainer(
  storage: Storage,
  state: ContainerState,
  edits: ConfigEdits,
): Promise<void> {
  let img: ImageConfig = state.config;
  if (edits.env?.length) img = editEnv(img, edits.env);
  if (edits.cmd !== undefined)
    img = withCmd(img, edits.cmd === '' ? undefined : parseCommand(edits.cmd, '--cmd'));
  // buildah keeps the command when the entrypoint changes.
  if (edits.entrypoint !== undefined)
    img = withEntrypoint(img, entrypointOf(edits.entrypoint), { keepCmd: true });
  if (edits.workingDir !== undefined) img = withWorkingDir(img, edits.workingDir || undefined);
  if (edits.user !== undefined) img = withUser(img, edits.user || undefined);
  if (edits.labels?.length) {
    for (const l of edits.labels) keyValue(l, '--label');
    img = withLabels(img, edits.labels);
  }
  // As buildah's SetPort and UnsetPort: the port kept as written, removed by the key written.
  if (edits.ports?.length) img = withExposedPorts(img, edits.ports.map(portSpec), { asWritten: true });
  if (edits.volumes?.length) img = withVolumes(img, edits.volumes);
  if (edits.author !== undefined) img = withAuthor(img, edits.author || undefined);
  // buildah stores a stop signal unchecked (image-config's withStopSignal refuses what is not a signal name).
  const c: Record<string, unknown> = { ...(img.config ?? {}) };
  if (edits.stopSignal !== undefined) c.StopSignal = edits.stopSignal || undefined;
  if (edits.shell !== undefined)
    c.Shell = edits.shell === '' ? undefined : parseCommand(edits.shell, '--shell');
  const next: Record<string, unknown> = { ...img, config: omitEmpty(c) as ContainerConfig };
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
