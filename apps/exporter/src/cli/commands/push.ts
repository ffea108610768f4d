import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '@lading/digest';
import { copyImage } from '../../operations/copy-image.js';
import {
  loadSigners,
  readPassphrase,
  type SignedImage,
  signPushedImage,
} from '../../operations/sign-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseFormat } from './copy.js';

export const help = helpTexts.push;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      insecure: { type: 'boolean' },
      format: { type: 'string' },
      'sign-key': { type: 'string', multiple: true },
      'passphrase-file': { type: 'string' },
      'registries.d': { type: 'string' },
    },
  });
  const format = parseFormat(values.format);
  const [image, dest] = positionals;
  if (image === undefined || positionals.length > 2)
    throw new OptionError('PUSH_ARGS', 'lading push takes IMAGE and an optional DEST', {});
  const src = parseImageLocation(image);
  const target = dest ?? (src.kind === 'store' ? src.name : undefined);
  if (target === undefined)
    throw new OptionError('PUSH_DEST', `lading push ${image} needs DEST (docker://REF)`, {});
  // keys are read and unlocked before anything moves: a wrong passphrase pushes nothing
  const signKeys = values['sign-key'] ?? [];
  const signers =
    signKeys.length > 0 ? await loadSigners(signKeys, await readPassphrase(values['passphrase-file'])) : [];
  const desc = await copyImage(
    src,
    { kind: 'docker', ref: target.replace(/^docker:\/\//, '') },
    {
      storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
      ...(values.insecure ? { insecure: true } : {}),
      ...(format ? { format } : {}),
      signal,
    },
  );
  const signed =
    signers.length > 0
      ? await signPushedImage(target, desc, signers, {
          ...(values.insecure ? { insecure: true } : {}),
          ...(values['registries.d'] !== undefined ? { registriesDir: values['registries.d'] } : {}),
          signal,
        })
      : undefined;
  printResult(
    values.json ?? false,
    { digest: desc.digest, reference: target, ...(signed ? { signatures: signatureSummary(signed) } : {}) },
    `${target}@${desc.digest}${signed ? `\n${signatureLines(signed)}` : ''}`,
  );
  return 0;
}

/** What a signing stored, for --json. */
export function signatureSummary(s: SignedImage): Record<string, unknown> {
  return {
    reference: s.reference,
    signers: s.signers,
    lookaside: s.lookaside,
    ...(s.tag !== undefined ? { tag: s.tag } : {}),
    ...(s.referrer !== undefined ? { referrer: s.referrer.digest } : {}),
  };
}

/** One line per place a signature went. */
export function signatureLines(s: SignedImage): string {
  const lines = [`signed ${s.reference} with ${s.signers.join(', ')}`];
  for (const f of s.lookaside) lines.push(`  simple signature: ${f}`);
  if (s.tag !== undefined)
    lines.push(`  cosign signature: ${s.reference.replace(/[:@][^/]*$/, '')}:${s.tag}`);
  if (s.referrer !== undefined) lines.push(`  referrer: ${s.referrer.digest}`);
  return lines.join('\n');
}
