import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { type Digest, digestAlgorithm, digestEncoded, formatPlatform, type Platform } from '@lading/digest';
import type { ExportLayer } from '../../plugin/types.js';
import { parseOciReference } from '../base-image.js';
import type { ConfigEdits, LayerInput } from '../build-source.js';
import type { ProvenanceOptions } from './attest-options.js';
import { imageRefToPurl } from './image-purl.js';
import { ladingVersion } from './lading-version.js';

/** What a lading export is, as SLSA's buildType: the meaning of `invocation` and `buildConfig` below. */
export const ladingBuildType = 'https://lading.dev/export@v1';

export interface ProvenanceInput {
  readonly options: ProvenanceOptions;
  /** Where the image runs; the provenance's environment is the builder's own platform, as BuildKit records. */
  readonly platform: Platform;
  readonly hostPlatform: Platform;
  readonly startedOn: Date;
  readonly finishedOn: Date;
  /** `oci:DIR[:TAG]` or `docker://REF`, and the manifest it resolved to for this platform. */
  readonly base?: { readonly ref: string; readonly digest: Digest };
  /** The input layers and what each became. */
  readonly inputs: readonly { readonly input: LayerInput; readonly layer: ExportLayer }[];
  readonly edits?: ConfigEdits;
  /** The digest of a `--config` given whole. */
  readonly configDigest?: Digest;
  readonly outputs: readonly { readonly type: string; readonly attrs: Readonly<Record<string, string>> }[];
  readonly epoch?: Date;
  readonly cwd: string;
}

const digestSet = (d: Digest) => ({ [digestAlgorithm(d)]: digestEncoded(d) });

/** `oci:DIR[:TAG]` as BuildKit names a local OCI layout source (pkg:oci), `docker://REF` as pkg:docker. */
function basePurl(ref: string, platform: Platform): string {
  if (ref.startsWith('docker://')) return imageRefToPurl('docker', ref.slice('docker://'.length), platform);
  const { dir, tag } = parseOciReference(ref);
  const name = (
    dir
      .split('/')
      .filter((p) => p !== '' && p !== '.')
      .at(-1) ?? 'image'
  ).toLowerCase();
  try {
    return imageRefToPurl('oci', `${name}${tag !== undefined ? `:${tag}` : ''}`, platform);
  } catch {
    return `pkg:oci/${encodeURIComponent(name)}${tag !== undefined ? `@${encodeURIComponent(tag)}` : ''}?platform=${encodeURIComponent(formatPlatform(platform))}`;
  }
}

function inputName(input: LayerInput): string {
  return input.kind === 'diff' ? `${input.lower}:${input.upper}` : input.path;
}

/** The exporter attributes and config edits, as BuildKit keeps frontend options: a flat map of strings. */
function invocationArgs(p: ProvenanceInput): Record<string, string> {
  const args: Record<string, string> = {};
  if (p.base) args.base = p.base.ref;
  p.outputs.forEach((o, i) => {
    args[`output:${i}`] = [`type=${o.type}`, ...Object.entries(o.attrs).map(([k, v]) => `${k}=${v}`)].join(
      ',',
    );
  });
  if (p.epoch) args['source-date-epoch'] = String(Math.floor(p.epoch.getTime() / 1000));
  if (p.configDigest) args.config = p.configDigest;
  const e = p.edits ?? {};
  for (const kv of e.env ?? []) {
    const eq = kv.indexOf('=');
    args[`env:${eq > 0 ? kv.slice(0, eq) : kv}`] = eq > 0 ? kv.slice(eq + 1) : '';
  }
  for (const [k, v] of Object.entries(e.labels ?? {})) args[`label:${k}`] = v;
  if (e.entrypoint) args.entrypoint = JSON.stringify(e.entrypoint);
  if (e.cmd) args.cmd = JSON.stringify(e.cmd);
  if (e.workdir !== undefined) args.workdir = e.workdir;
  if (e.user !== undefined) args.user = e.user;
  if (e.expose && e.expose.length > 0) args.expose = e.expose.join(',');
  return args;
}

/**
 * The SLSA v0.2 provenance predicate of one image, shaped as BuildKit's (solver/llbsolver/provenance): builder,
 * buildType, materials (the base image by digest with its package URL; with mode=max the source directories too,
 * each with the sha256 of the tar lading made of it), invocation (the exporter attributes and config edits as
 * parameters, the source directories as locals, the builder's platform), buildConfig (max: each step), metadata
 * (times, completeness, reproducible, lading's version). mode=min leaves out the env and label edits (BuildKit's
 * build-arg and label), so it claims incomplete parameters, and the directories, so it claims incomplete
 * materials.
 */
export function provenancePredicate(p: ProvenanceInput): Uint8Array {
  const max = p.options.mode === 'max';
  const materials: { uri: string; digest: Record<string, string> }[] = [];
  if (p.base) materials.push({ uri: basePurl(p.base.ref, p.platform), digest: digestSet(p.base.digest) });
  if (max) {
    for (const { input, layer } of p.inputs) {
      const path = input.kind === 'diff' ? input.upper : input.path;
      materials.push({ uri: `file://${resolve(p.cwd, path)}`, digest: digestSet(layer.diffId) });
    }
  }
  let args = invocationArgs(p);
  let completeParameters = true;
  if (!max) {
    const kept = Object.entries(args).filter(([k]) => !k.startsWith('env:') && !k.startsWith('label:'));
    if (kept.length !== Object.keys(args).length) completeParameters = false;
    args = Object.fromEntries(kept);
  }
  const locals = p.inputs.map(({ input }) => ({ name: inputName(input) }));
  const parameters = {
    frontend: 'lading export',
    ...(Object.keys(args).length > 0 ? { args } : {}),
    ...(locals.length > 0 ? { locals } : {}),
  };
  const buildConfig = max
    ? {
        steps: p.inputs.map(({ input, layer }, i) => ({
          id: `step${i}`,
          kind: input.kind,
          source: inputName(input),
          layer: {
            mediaType: layer.descriptor.mediaType,
            digest: layer.descriptor.digest,
            size: layer.descriptor.size,
          },
          diffID: layer.diffId,
        })),
      }
    : undefined;
  const predicate = {
    builder: { id: p.options.builderId ?? '' },
    buildType: ladingBuildType,
    ...(materials.length > 0 ? { materials } : {}),
    invocation: {
      configSource: {},
      parameters,
      environment: { platform: formatPlatform(p.hostPlatform) },
    },
    ...(buildConfig ? { buildConfig } : {}),
    metadata: {
      buildInvocationID: randomUUID(),
      buildStartedOn: p.startedOn.toISOString(),
      buildFinishedOn: p.finishedOn.toISOString(),
      completeness: {
        parameters: completeParameters,
        environment: true,
        materials: max || p.inputs.length === 0,
      },
      reproducible: p.options.reproducible,
      [`${ladingBuildType}#metadata`]: { version: ladingVersion() },
    },
  };
  return new TextEncoder().encode(JSON.stringify(predicate));
}
