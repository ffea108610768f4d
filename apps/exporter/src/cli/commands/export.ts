import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Descriptor, NotFoundError, OptionError, parseJsonObject } from '@lading/digest';
import { parseEpoch, parseImageConfig } from '@lading/image-config';
import { checkDescriptor } from '@lading/manifest';
import type { ContainerdChoice } from '../../exporters/containerd-export.js';
import type { AttestOptions } from '../../operations/attestations/attest-options.js';
import type { LayerInput } from '../../operations/build-source.js';
import type { LayerCacheSource } from '../../operations/cache.js';
import { exportImage, type OutputRequest } from '../../operations/export.js';
import { loadExporterPlugin } from '../../operations/load-plugin.js';
import type { SignedImage, SignedLayout } from '../../operations/sign-image.js';
import { parseBoolAttr } from '../../plugin/attrs.js';
import {
  commonOptions,
  decodeResponse,
  defaultMobyRoot,
  defaultStoreDir,
  printResult,
  progressFrom,
  writeMetadataFile,
} from '../common.js';
import { keyValues, parseCommandFlag, platformOptions } from '../export-flags.js';
import { helpTexts } from '../help.js';
import { assembleOutputs, checkStdoutOutputs, parseCsvRecord, parseOutputFlag } from '../output-spec.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.export;

/** An OCI layout directory (`type=oci,tar=false`): where cosign signatures can go beside the image. */
function writesLayout(out: OutputRequest): boolean {
  return out.type === 'oci' && !parseBoolAttr(out.attrs, 'tar', true);
}

/** Outputs that push to a registry: what --sign-key signs (`push` read as the image exporter reads it). */
function pushes(out: OutputRequest): boolean {
  if (out.type !== 'registry' && out.type !== 'image') return false;
  return parseBoolAttr(out.attrs, 'push', out.type === 'registry');
}

/** The root an exporter pushed, from its `containerimage.descriptor` response (digest alone when absent). */
function pushedDescriptor(response: Record<string, string>): Descriptor {
  const b64 = response['containerimage.descriptor'];
  if (b64 !== undefined) {
    // An exporter plugin may answer anything: checked as any descriptor read from outside.
    return checkDescriptor(
      parseJsonObject(Buffer.from(b64, 'base64'), {
        what: 'containerimage.descriptor',
        code: 'EXPORTER_BAD_RESPONSE',
      }),
      'containerimage.descriptor',
      'EXPORTER_BAD_RESPONSE',
    );
  }
  throw new OptionError('SIGN_NO_DESCRIPTOR', 'the exporter did not say what it pushed: nothing to sign', {});
}

/** Every input path exists and has the right kind, before any work starts (so nothing is half-written). */
async function checkInputsExist(layers: readonly LayerInput[]): Promise<void> {
  const want = (path: string, dir: boolean, what: string) =>
    stat(resolve(path)).then(
      (st) => {
        if (st.isDirectory() !== dir) {
          throw new OptionError('INPUT_KIND', `${what} ${path}: not a ${dir ? 'directory' : 'file'}`, {
            key: what.replace(/^--/, ''),
          });
        }
      },
      (cause: unknown) => {
        throw new NotFoundError('INPUT_NOT_FOUND', `${what} ${path}: it does not exist`, { cause });
      },
    );
  for (const l of layers) {
    if (l.kind === 'dir') await want(l.path, true, 'directory');
    else if (l.kind === 'tarball') await want(l.path, false, '--tarball');
    else {
      await want(l.lower, true, '--diff');
      await want(l.upper, true, '--diff');
    }
  }
}

/** The --config file, checked to be an image config before any work starts. */
async function readConfigFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(resolve(path)));
  } catch (cause) {
    throw new NotFoundError('CONFIG_NOT_FOUND', `--config ${path}: cannot read it`, { cause });
  }
  parseImageConfig(bytes);
  return bytes;
}

/**
 * Where type=image goes: containerd at --containerd-address or $CONTAINERD_ADDRESS; with neither, containerd's
 * default socket when it answers, unless a lading store was chosen (--store or $LADING_STORE). A bad namespace is
 * refused here, before any layer is built.
 */
export async function containerdChoice(
  address: string | undefined,
  namespace: string | undefined,
  store: string | undefined,
): Promise<ContainerdChoice> {
  if (address || namespace || process.env.CONTAINERD_ADDRESS || process.env.CONTAINERD_NAMESPACE) {
    const { resolveContainerdLocation } = await import('@lading/containerd');
    resolveContainerdLocation({ address, namespace });
  }
  return {
    ...(address ? { address } : {}),
    ...(namespace ? { namespace } : {}),
    probeDefault: store === undefined && !process.env.LADING_STORE,
  };
}

/** `--attest SPEC` (CSV, as buildx), `--sbom` and `--provenance`: checked before any work starts. */
async function attestFlags(
  specs: readonly string[] | undefined,
  sbom: string | undefined,
  provenance: string | undefined,
): Promise<AttestOptions | undefined> {
  if (specs === undefined && sbom === undefined && provenance === undefined) return undefined;
  const { attestShorthand, resolveAttestations, wantsAttestations } = await import(
    '../../operations/attestations/attest-options.js'
  );
  const requests = (specs ?? []).map((spec) => {
    const attrs: Record<string, string> = {};
    let type: string | undefined;
    for (const field of parseCsvRecord(spec, '--attest')) {
      const eq = field.indexOf('=');
      if (eq <= 0)
        throw new OptionError(
          'ATTEST_SPEC',
          `--attest ${JSON.stringify(spec)}: ${JSON.stringify(field)} is not KEY=VALUE`,
          {
            key: 'attest',
          },
        );
      const key = field.slice(0, eq).trim().toLowerCase();
      if (key === 'type') type = field.slice(eq + 1);
      else attrs[field.slice(0, eq)] = field.slice(eq + 1);
    }
    if (type === undefined || type === '')
      throw new OptionError(
        'ATTEST_SPEC',
        `--attest ${JSON.stringify(spec)}: attestation type not specified`,
        {
          key: 'attest',
        },
      );
    return { type, attrs };
  });
  // buildx puts the shorthands after the --attest flags.
  if (provenance !== undefined) requests.push(attestShorthand('provenance', provenance));
  if (sbom !== undefined) requests.push(attestShorthand('sbom', sbom));
  const options = resolveAttestations(requests);
  return wantsAttestations(options) ? options : undefined;
}

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      layer: { type: 'string', multiple: true },
      tarball: { type: 'string', multiple: true },
      diff: { type: 'string', multiple: true },
      base: { type: 'string' },
      'base-insecure': { type: 'boolean' },
      platform: { type: 'string' },
      'platform-layer': { type: 'string', multiple: true },
      config: { type: 'string' },
      env: { type: 'string', short: 'e', multiple: true },
      entrypoint: { type: 'string' },
      cmd: { type: 'string' },
      workdir: { type: 'string' },
      workingdir: { type: 'string' },
      user: { type: 'string' },
      label: { type: 'string', multiple: true },
      expose: { type: 'string', multiple: true },
      port: { type: 'string', multiple: true },
      epoch: { type: 'string' },
      output: { type: 'string', short: 'o', multiple: true },
      push: { type: 'boolean' },
      load: { type: 'boolean' },
      annotation: { type: 'string', multiple: true },
      tag: { type: 'string', short: 't', multiple: true },
      compression: { type: 'string' },
      'compression-level': { type: 'string' },
      'force-compression': { type: 'boolean' },
      'exporter-plugin': { type: 'string', multiple: true },
      'metadata-file': { type: 'string' },
      'moby-root': { type: 'string' },
      'moby-driver': { type: 'string' },
      'containerd-address': { type: 'string' },
      namespace: { type: 'string' },
      'cache-to': { type: 'string', multiple: true },
      'cache-from': { type: 'string', multiple: true },
      'sign-key': { type: 'string', multiple: true },
      'passphrase-file': { type: 'string' },
      'registries.d': { type: 'string' },
      attest: { type: 'string', multiple: true },
      sbom: { type: 'string' },
      provenance: { type: 'string' },
    },
  });
  const attest = await attestFlags(values.attest, values.sbom, values.provenance);
  const layers: LayerInput[] = [
    ...positionals.map((p) => ({ kind: 'dir' as const, path: p })),
    ...(values.layer ?? []).map((p) => ({ kind: 'dir' as const, path: p })),
    ...(values.tarball ?? []).map((p) => ({ kind: 'tarball' as const, path: p })),
    ...(values.diff ?? []).map((d) => {
      const i = d.indexOf(':');
      if (i <= 0 || i === d.length - 1) {
        throw new OptionError('DIFF_SPEC', `--diff ${JSON.stringify(d)}: expected LOWER:UPPER`, {
          key: 'diff',
        });
      }
      return { kind: 'diff' as const, lower: d.slice(0, i), upper: d.slice(i + 1) };
    }),
  ];
  const platformOpts = platformOptions(values.platform, values['platform-layer']);
  if (
    layers.length === 0 &&
    platformOpts.platformLayers === undefined &&
    values.base === undefined &&
    values.config === undefined
  ) {
    throw new OptionError(
      'NO_INPUT',
      'nothing to export: give a directory, --tarball, --diff or --base (see lading export --help)',
      {
        key: 'input',
      },
    );
  }
  // Cache flags: malformed ones stop here (usage error); a cache that cannot be imported is a warning later.
  const cacheTo = values['cache-to'] ?? [];
  const cacheFromSpecs = values['cache-from'] ?? [];
  const cacheSpecs =
    cacheTo.length > 0 || cacheFromSpecs.length > 0
      ? await (await import('../cache-specs.js')).checkCacheSpecs(cacheTo, cacheFromSpecs)
      : { to: [], from: [] };
  const inlineCache = cacheSpecs.to.some((s) => s.type === 'inline');
  const { annotationFlagAttrs } = await import('../../exporters/annotations.js');
  const annotations = annotationFlagAttrs(values.annotation ?? []);
  const outputs = assembleOutputs(
    (values.output ?? []).map((spec) => parseOutputFlag(spec)),
    {
      ...(values.push ? { push: true } : {}),
      ...(values.load ? { load: true } : {}),
      tags: values.tag ?? [],
      annotations,
    },
  );
  const toStdout = checkStdoutOutputs(outputs, process.stdout.isTTY === true);
  if (toStdout && values.json) {
    throw new OptionError(
      'STDOUT_AND_JSON',
      '--json and an output to stdout (dest=-) both want stdout: give the output dest=FILE, or drop --json',
      { key: 'json' },
    );
  }
  const epochText = values.epoch ?? process.env.SOURCE_DATE_EPOCH;
  const epoch = epochText !== undefined && epochText !== '' ? parseEpoch(epochText) : undefined;
  const level = values['compression-level'];
  let levelNum: number | undefined;
  if (level !== undefined) {
    if (!/^\d+$/.test(level))
      throw new OptionError('LEVEL', `--compression-level ${level}: not a number`, {
        key: 'compression-level',
      });
    levelNum = Number(level);
  }
  const { parseCompression } = await import('../../exporters/image-options.js');
  const { parseMobyDriver } = await import('../../exporters/moby-data-root.js');
  const mobyDriver =
    parseMobyDriver(values['moby-driver']) ??
    parseMobyDriver(process.env.LADING_MOBY_DRIVER, 'LADING_MOBY_DRIVER');
  const compression = parseCompression(values.compression);
  const plugins = [];
  for (const p of values['exporter-plugin'] ?? []) plugins.push(...(await loadExporterPlugin(p)));
  await checkInputsExist([...layers, ...Object.values(platformOpts.platformLayers ?? {}).flat()]);
  const config = values.config !== undefined ? await readConfigFile(values.config) : undefined;
  const containerd = await containerdChoice(values['containerd-address'], values.namespace, values.store);
  const signKeys = values['sign-key'] ?? [];
  if (signKeys.length > 0 && !outputs.some((o) => pushes(o) || writesLayout(o))) {
    throw new OptionError(
      'SIGN_WITHOUT_PUSH',
      '--sign-key signs registry pushes and OCI layout directories: add -o type=registry,name=REF (or type=image,push=true, or type=oci,tar=false,dest=DIR)',
      { key: 'sign-key' },
    );
  }
  // keys are unlocked before the build: a wrong passphrase costs nothing and pushes nothing
  const signing = signKeys.length > 0 ? await import('../../operations/sign-image.js') : undefined;
  const prepared = signing
    ? await signing.prepareSigning(signKeys, {
        passphraseFile: values['passphrase-file'],
        registriesDir: values['registries.d'],
      })
    : undefined;
  const signers = prepared?.signers ?? [];
  // an OCI layout keeps cosign signatures only: an OpenPGP key alone is refused before the build
  for (const o of signers.length > 0 ? outputs.filter(writesLayout) : []) {
    signing?.layoutSigners(signers, `oci:${o.attrs.dest ?? ''}`);
    if (!(o.attrs.name ?? '').split(',').some((n) => n !== '')) {
      // containers/image: "Cannot determine canonical Docker reference for destination"
      throw new OptionError(
        'SIGN_NO_IDENTITY',
        `oci:${o.attrs.dest ?? ''}: cannot determine the name to sign for: give the output name=REGISTRY/REPO:TAG`,
        { key: 'sign-key' },
      );
    }
  }
  const progress = progressFrom(values.progress);
  if (
    Object.keys(annotations).length > 0 &&
    outputs.every((o) => ['local', 'tar', 'moby'].includes(o.type))
  ) {
    progress.warn('--annotation: no output writes a manifest (type=local, tar and moby take no annotations)');
  }
  const started = performance.now();
  let cacheFrom: LayerCacheSource[] = [];
  try {
    if (cacheFromSpecs.length > 0) {
      const { importLayerCaches } = await import('../../operations/cache.js');
      cacheFrom = await importLayerCaches(cacheSpecs.from, { signal, logger: progress, progress });
    }
    const result = await exportImage({
      layers,
      outputs,
      ...(values.base !== undefined ? { base: values.base } : {}),
      ...(values['base-insecure'] ? { insecureBase: true } : {}),
      ...(config ? { config } : {}),
      edits: {
        ...(values.env ? { env: values.env } : {}),
        ...(values.entrypoint !== undefined
          ? { entrypoint: parseCommandFlag(values.entrypoint, 'entrypoint') }
          : {}),
        ...(values.cmd !== undefined ? { cmd: parseCommandFlag(values.cmd, 'cmd') } : {}),
        ...((values.workdir ?? values.workingdir) !== undefined
          ? { workdir: (values.workdir ?? values.workingdir) as string }
          : {}),
        ...(values.user !== undefined ? { user: values.user } : {}),
        ...(values.label ? { labels: keyValues(values.label, 'label') } : {}),
        ...(values.expose || values.port
          ? { expose: [...(values.expose ?? []), ...(values.port ?? [])] }
          : {}),
      },
      ...platformOpts,
      ...(epoch ? { epoch } : {}),
      ...(compression ? { compression } : {}),
      ...(levelNum !== undefined ? { compressionLevel: levelNum } : {}),
      ...(values['force-compression'] ? { forceCompression: true } : {}),
      storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
      mobyRoot: values['moby-root'] !== undefined ? resolve(values['moby-root']) : defaultMobyRoot(),
      ...(mobyDriver ? { mobyDriver } : {}),
      containerd,
      plugins,
      progress,
      logger: progress,
      signal,
      ...(toStdout ? { stdout: process.stdout } : {}),
      ...(cacheFrom.length > 0 ? { cacheFrom } : {}),
      ...(cacheTo.length > 0 ? { cacheKeys: true } : {}),
      ...(inlineCache ? { inlineCache: true } : {}),
      ...(attest ? { attest } : {}),
    });
    if (cacheTo.length > 0) {
      const { exportLayerCache } = await import('../../operations/cache.js');
      const { openLocalStore } = await import('@lading/content-store');
      const storeDir = values.store !== undefined ? resolve(values.store) : defaultStoreDir();
      const caches = await exportLayerCache(cacheSpecs.to, result.source, {
        keys: result.layerKeys ?? [],
        // Only force-compression writes to the store (the recompressed layers): opened when asked for.
        openStore: () => openLocalStore(storeDir),
        ...(epoch ? { createdAt: epoch } : {}),
        signal,
        progress,
        logger: progress,
      });
      for (const c of caches) Object.assign(result.outputs[0]?.response ?? {}, c);
    }
    const signed: SignedImage[] = [];
    for (const [i, out] of outputs.entries()) {
      const response = result.outputs[i]?.response;
      if (signing === undefined || signers.length === 0 || !pushes(out) || response === undefined) continue;
      const subject = pushedDescriptor(response);
      for (const name of (response['image.name'] ?? '').split(',').filter((n) => n !== '')) {
        progress.start(`sign ${name}`, `signing ${name}`);
        signed.push(
          await signing.signPushedImage(name, subject, signers, {
            ...(parseBoolAttr(out.attrs, 'registry.insecure') ? { insecure: true } : {}),
            registries: (prepared as NonNullable<typeof prepared>).registries,
            signal,
          }),
        );
        progress.done(`sign ${name}`);
      }
    }
    const signedLayouts: SignedLayout[] = [];
    for (const [i, out] of outputs.entries()) {
      const response = result.outputs[i]?.response;
      if (signing === undefined || signers.length === 0 || !writesLayout(out) || response === undefined)
        continue;
      const dir = resolve(out.attrs.dest ?? '');
      const name = (response['image.name'] || out.attrs.name || '')
        .split(',')
        .find((n) => n !== '') as string;
      progress.start(`sign oci:${dir}`, `signing ${name} in oci:${out.attrs.dest}`);
      signedLayouts.push(await signing.signLayoutImage(dir, name, pushedDescriptor(response), signers));
      progress.done(`sign oci:${dir}`);
    }
    progress.close();
    const response = Object.assign({}, ...result.outputs.map((o) => o.response)) as Record<string, string>;
    await writeMetadataFile(values['metadata-file'], response);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    const lines = result.outputs.map((o, i) => {
      const dest = outputs[i]?.attrs.dest;
      const what = o.response['containerimage.digest'] ?? (dest === '-' ? 'stdout' : (dest ?? ''));
      const names = o.response['image.name'];
      return `${o.type}: ${what}${names ? ` ${names}` : ''}`;
    });
    if (signing) lines.push(...signed.map(signing.signatureLines));
    for (const l of signedLayouts)
      lines.push(
        `signed ${l.reference} with ${l.signers.join(', ')}`,
        ...l.tags.map((t) => `  cosign signature: ${t}`),
      );
    const text = lines.join('\n');
    // One shape for scripts: the merged response as --metadata-file writes it, then each output's own.
    const json = {
      ...decodeResponse(response),
      outputs: result.outputs.map((o) => ({ type: o.type, response: decodeResponse(o.response) })),
      seconds,
      ...(signing && signed.length > 0 ? { signatures: signed.map(signing.signatureSummary) } : {}),
      ...(signedLayouts.length > 0 ? { layoutSignatures: signedLayouts } : {}),
    };
    if (toStdout) process.stderr.write(`${text}\n`);
    else printResult(values.json ?? false, json, text);
    return 0;
  } finally {
    progress.close();
    for (const c of cacheFrom) c.close();
  }
}
