import { resolve } from 'node:path';
import { OptionError } from '@lading/digest';
import { copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';
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
  const signing = signKeys.length > 0 ? await import('../../operations/sign-image.js') : undefined;
  const prepared = signing
    ? await signing.prepareSigning(signKeys, {
        passphraseFile: values['passphrase-file'],
        registriesDir: values['registries.d'],
      })
    : undefined;
  const signers = prepared?.signers ?? [];
  const desc = await copyImage(
    src,
    { kind: 'docker', ref: target.replace(/^docker:\/\//, '') },
    {
      storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
      ...(values.insecure ? { insecure: true } : {}),
      ...(format ? { format } : {}),
      signal,
      onProgress: (m) => values.progress !== 'quiet' && process.stderr.write(`${m}\n`),
    },
  );
  const signed =
    signing && signers.length > 0
      ? await signing.signPushedImage(target, desc, signers, {
          ...(values.insecure ? { insecure: true } : {}),
          registries: (prepared as NonNullable<typeof prepared>).registries,
          signal,
        })
      : undefined;
  printResult(
    values.json ?? false,
    {
      digest: desc.digest,
      reference: target,
      ...(signed && signing ? { signatures: signing.signatureSummary(signed) } : {}),
    },
    `${target}@${desc.digest}${signed && signing ? `\n${signing.signatureLines(signed)}` : ''}`,
  );
  return 0;
}
