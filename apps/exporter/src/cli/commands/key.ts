import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidInputError, OptionError } from '@lading/digest';
import { readPassphrase } from '../../operations/sign-image.js';
import { printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.key;

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'wx', mode);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST')
      throw new InvalidInputError(
        'KEY_EXISTS',
        `${path} exists: lading key generate never overwrites a key`,
        { cause },
      );
    throw cause;
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function run(args: string[], _signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'passphrase-file': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals[0] !== 'generate' || positionals.length !== 1)
    throw new OptionError(
      'KEY_ARGS',
      'lading key takes one subcommand: generate (see lading key --help)',
      {},
    );
  if (values.out === undefined || values.out === '')
    throw new OptionError(
      'KEY_OUT',
      'lading key generate needs --out PREFIX (writes PREFIX.key and PREFIX.pub)',
      { key: 'out' },
    );
  const passphrase = await readPassphrase(values['passphrase-file']);
  if (passphrase === undefined) {
    throw new OptionError(
      'PASSPHRASE_MISSING',
      'give the new key a passphrase with --passphrase-file FILE or $LADING_PASSPHRASE (LADING_PASSPHRASE= for none)',
      { key: 'passphrase-file' },
    );
  }
  const { generateCosignKeyPair } = await import('@lading/sign');
  const pair = await generateCosignKeyPair(passphrase);
  const prefix = resolve(values.out);
  const key = `${prefix}.key`;
  const pub = `${prefix}.pub`;
  await writeNew(key, pair.privateKeyPem, 0o600);
  await writeNew(pub, pair.publicKeyPem, 0o644);
  printResult(
    values.json ?? false,
    { privateKey: key, publicKey: pub },
    `Private key written to ${key}\nPublic key written to ${pub}`,
  );
  return 0;
}
