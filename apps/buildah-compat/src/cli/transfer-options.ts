import { defaultRegistriesConf, readInsecureRegistries } from '@lading/transports';
import type { TransferOptions } from '../transports/index.js';
import { str } from './args.js';
import { err } from './command.js';
import { registriesConfFlagValue } from './globals.js';
import { printableLine } from './report-error.js';

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
    ...(quiet ? {} : { onProgress: (m: string) => err(printableLine(m)) }),
  };
}
