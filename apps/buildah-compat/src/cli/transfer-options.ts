import { defaultRegistriesConf, readInsecureRegistries } from '@lading/transports';
import type { TransferOptions } from '../transports/index.js';
import { str } from './args.js';
import { blobProgressPrinter } from './blob-progress.js';
import { registriesConfFlagValue } from './globals.js';

function registriesConfPath(): string {
  return registriesConfFlagValue() ?? defaultRegistriesConf();
}

/** The registry flags (`--creds`, `--authfile`, `--tls-verify`, ...) as the transports take them. */
export function transferFrom(v: Record<string, unknown>, quiet: boolean): TransferOptions {
  const creds = str(v.creds);
  const authFile = str(v.authfile) ?? process.env.REGISTRY_AUTH_FILE;
  const policyPath = str(v['signature-policy']);
  const certDir = str(v['cert-dir']);
  return {
    ...(creds !== undefined ? { creds } : {}),
    ...(authFile !== undefined ? { authFile } : {}),
    ...(typeof v['tls-verify'] === 'boolean' ? { tlsVerify: v['tls-verify'] } : {}),
    // as buildah: plain HTTP needs --tls-verify=false or an insecure entry in registries.conf
    tlsRequired: true,
    insecureRegistries: readInsecureRegistries(registriesConfPath()),
    ...(certDir !== undefined ? { certDir } : {}),
    ...(policyPath !== undefined ? { policyPath } : {}),
    ...(quiet ? {} : progressOptions()),
  };
}

/** Report lines on stderr, and on a terminal the bytes of each blob a pull moves. */
function progressOptions(): Pick<TransferOptions, 'onProgress' | 'onBytes'> {
  const printer = blobProgressPrinter();
  return { onProgress: (m) => printer.line(m), onBytes: (e) => printer.bytes(e) };
}
