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
  // The keys unlock while the push reads what the registry has (their load fills its network waits); nothing is
  // written, and nothing printed, until they are unlocked: a wrong passphrase pushes nothing and is the only line.
  const signKeys = values['sign-key'] ?? [];
  const signing = signKeys.length > 0 ? await import('../../operations/sign-image.js') : undefined;
  const preparing = signing?.prepareSigning(signKeys, {
    passphraseFile: values['passphrase-file'],
    registriesDir: values['registries.d'],
  });
  const report = (m: string) => values.progress !== 'quiet' && process.stderr.write(`${m}\n`);
  const held = preparing ? holdUntil(preparing, report) : undefined;
  const copying = copyImage(
    src,
    { kind: 'docker', ref: target.replace(/^docker:\/\//, '') },
    {
      storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
      ...(values.insecure ? { insecure: true } : {}),
      ...(format ? { format } : {}),
      ...(held ? { beforeWrite: held.opened } : {}),
      signal,
      onProgress: held?.report ?? report,
    },
  );
  // the keys' error first: the push, stopped at its first write, fails with the same one
  const [prepared, desc] = await Promise.all([preparing, copying]);
  const signers = prepared?.signers ?? [];
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

/**
 * Progress lines held back until `ready` settles: printed once it resolves, dropped if it rejects. `opened` is
 * the push's `beforeWrite`.
 */
function holdUntil(ready: Promise<unknown>, report: (line: string) => void) {
  let lines: string[] | undefined = [];
  const opened = ready.then(
    () => {
      for (const l of lines ?? []) report(l);
      lines = undefined;
    },
    (error: unknown) => {
      lines = [];
      throw error;
    },
  );
  opened.catch(() => {}); // awaited by the push and through Promise.all; this only keeps Node from calling it unhandled
  return {
    opened: () => opened,
    report: (line: string) => (lines ? lines.push(line) : report(line)),
  };
}
