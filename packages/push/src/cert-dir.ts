import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@lading/digest';
import type { TlsTrust } from './http.js';

/**
 * Reads a certificate directory the way containers/image reads `certs.d/<registry>` (and buildah's `--cert-dir`):
 * every `*.crt` is a CA certificate to trust; `NAME.cert` with `NAME.key` is the client certificate. A client
 * certificate without its key, or a key without its certificate, is an error; other files and directories are ignored. Several
 * client pairs are offered together (Node picks by key type).
 */
export function readCertDir(dir: string): TlsTrust {
  let names: string[];
  try {
    // Files only (through symlinks, as certificates are often linked in).
    names = readdirSync(dir)
      .filter((n) => statSync(join(dir, n), { throwIfNoEntry: false })?.isFile())
      .sort();
  } catch (cause) {
    throw new NotFoundError('CERT_DIR_NOT_FOUND', `cannot read the certificate directory ${dir}`, { cause });
  }
  const ca = names.filter((n) => n.endsWith('.crt')).map((n) => readFileSync(join(dir, n), 'utf8'));
  const certs = names.filter((n) => n.endsWith('.cert'));
  const keys = names.filter((n) => n.endsWith('.key'));
  for (const k of keys) {
    if (!certs.includes(`${k.slice(0, -'.key'.length)}.cert`)) {
      throw new InvalidInputError('CERT_KEY_UNPAIRED', `${join(dir, k)} has no matching .cert file`);
    }
  }
  for (const c of certs) {
    if (!keys.includes(`${c.slice(0, -'.cert'.length)}.key`)) {
      throw new InvalidInputError('CERT_KEY_UNPAIRED', `${join(dir, c)} has no matching .key file`);
    }
  }
  return {
    ...(ca.length > 0 ? { ca } : {}),
    ...(certs.length > 0
      ? {
          cert: certs.map((c) => readFileSync(join(dir, c), 'utf8')),
          key: certs.map((c) => readFileSync(join(dir, `${c.slice(0, -'.cert'.length)}.key`), 'utf8')),
        }
      : {}),
  };
}
