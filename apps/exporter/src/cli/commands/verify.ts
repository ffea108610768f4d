import { OptionError } from '@lading/digest';
import type { Verdict } from '@lading/sign';
import { verifyImage } from '../../operations/verify-image.js';
import { parseImageLocation } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.verify;

/** The exit code of each verdict (documented in `lading verify --help`). */
export const verdictExitCode: Readonly<Record<Verdict, number>> = {
  verified: 0,
  unsigned: 10,
  'wrong-key': 11,
  mismatch: 12,
};

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      key: { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
      'registries.d': { type: 'string' },
      identity: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [image] = positionals;
  if (image === undefined || positionals.length > 1)
    throw new OptionError('VERIFY_ARGS', 'lading verify takes one image: docker://REF or oci:DIR:TAG', {});
  const loc = parseImageLocation(image);
  const result = await verifyImage(loc, {
    keys: values.key ?? [],
    ...(values.insecure ? { insecure: true } : {}),
    ...(values['registries.d'] !== undefined ? { registriesDir: values['registries.d'] } : {}),
    ...(values.identity !== undefined ? { identity: values.identity } : {}),
    signal,
  });
  if (values.json) {
    const { checks, verdict, digest, signatures } = result;
    const shown = checks.map(({ payload: _p, ...c }) => c);
    process.stdout.write(
      `${JSON.stringify({ image, verdict, digest, signatures, checks: shown }, null, 2)}\n`,
    );
  } else {
    const head: Record<Verdict, string> = {
      verified: `verified: ${image}@${result.digest}: ${result.accepted?.reason ?? ''}`,
      unsigned: `unsigned: ${image}@${result.digest} has no signature`,
      'wrong-key': `wrong key: ${image}@${result.digest} has ${result.checks.length} signature(s), none by the keys given`,
      mismatch: `mismatch: ${image}@${result.digest}: a signature by the keys given does not match this image`,
    };
    process.stdout.write(`${head[result.verdict]}\n`);
    if (result.verdict !== 'verified')
      for (const c of result.checks) process.stdout.write(`  - ${c.reason}\n`);
  }
  return verdictExitCode[result.verdict];
}
