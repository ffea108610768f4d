import { OptionError } from '@lading/digest';
import { type RegistryClientOptions, readCertDir } from '@lading/push';
import { isInsecureRegistry } from './registries-conf.js';

export interface RegistryFlags {
  readonly creds?: string | undefined;
  readonly authFile?: string | undefined;
  readonly tlsVerify?: boolean | undefined;
  /** `--cert-dir`: `*.crt` CA certificates and `NAME.cert`/`NAME.key` client pairs, as containers' certs.d. */
  readonly certDir?: string | undefined;
  readonly retry?: number | undefined;
  readonly retryDelayMs?: number | undefined;
  /**
   * buildah's rule: HTTPS only, unless `tlsVerify` is false or registries.conf marks the registry insecure (no
   * plain-HTTP fallback for localhost, which lading's own default, Docker's, allows).
   */
  readonly tlsRequired?: boolean | undefined;
  /** registries.conf's insecure registries (see `readInsecureRegistries`), for `tlsRequired`. */
  readonly insecureRegistries?: readonly string[] | undefined;
}

/**
 * buildah's registry flags as @lading/push options: `--creds USER:PASS`, `--authfile`, `--tls-verify=false` (plain
 * HTTP or unverified TLS), `--cert-dir`, `--retry`/`--retry-delay`. The password never appears in an error.
 */
export function registryOptions(flags: RegistryFlags, registry?: string): RegistryClientOptions {
  let credentials: { username: string; password: string } | undefined;
  if (flags.creds !== undefined) {
    const colon = flags.creds.indexOf(':');
    if (colon <= 0) {
      throw new OptionError(
        'CREDS_INVALID',
        '--creds needs USERNAME:PASSWORD (lading never prompts for a password)',
        { key: 'creds' },
      );
    }
    credentials = { username: flags.creds.slice(0, colon), password: flags.creds.slice(colon + 1) };
  }
  if (flags.retry !== undefined && (!Number.isInteger(flags.retry) || flags.retry < 0)) {
    throw new OptionError(
      'RETRY_INVALID',
      `--retry ${flags.retry}: give a whole number of attempts, 0 or more`,
      {
        key: 'retry',
      },
    );
  }
  return {
    ...(credentials ? { credentials } : {}),
    ...(flags.authFile !== undefined ? { authFiles: [flags.authFile] } : {}),
    ...(flags.tlsVerify === false ||
    (registry !== undefined && isInsecureRegistry(registry, flags.insecureRegistries ?? []))
      ? { insecure: true }
      : flags.tlsRequired === true
        ? { scheme: 'https' as const }
        : {}),
    ...(flags.certDir !== undefined ? { tls: readCertDir(flags.certDir) } : {}),
    ...(flags.retry !== undefined || flags.retryDelayMs !== undefined
      ? {
          retry: {
            ...(flags.retry !== undefined ? { retries: flags.retry } : {}),
            ...(flags.retryDelayMs !== undefined
              ? { baseDelayMs: flags.retryDelayMs, maxDelayMs: Math.max(flags.retryDelayMs, 10_000) }
              : {}),
          },
        }
      : {}),
  };
}
