import { spawn } from 'node:child_process';
import { InvalidInputError, NotFoundError } from '@lading/digest';

export interface GpgOptions {
  /** Default: `gpg` on PATH. */
  readonly gpg?: string;
  /** Passed to gpg through a pipe (`--pinentry-mode loopback --passphrase-fd 3`), never on its command line. */
  readonly passphrase?: string;
  /** Default: the process's; `GNUPGHOME` in it chooses the keyring, as gpgme honours it. */
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

const fingerprintRe = /^(?:0x)?[0-9A-Fa-f]{16,40}$|^[^\s-][^\n]*$/;

/**
 * Signs the payload with the `gpg` binary and a key of its keyring, as buildah's `--sign-by FINGERPRINT` does
 * through gpgme: a normal (non-detached, binary) signed message.
 */
export async function signWithGpg(
  payload: Uint8Array,
  keyId: string,
  options: GpgOptions = {},
): Promise<Uint8Array> {
  if (!fingerprintRe.test(keyId) || keyId.startsWith('-')) {
    throw new InvalidInputError(
      'GPG_KEY_ID_INVALID',
      `--sign-by ${JSON.stringify(keyId)}: not a key fingerprint or ID`,
    );
  }
  if (options.passphrase?.includes('\n')) {
    // gpgme's rule (containers/image `signature/docker.go`)
    throw new InvalidInputError('PASSPHRASE_INVALID', 'invalid passphrase: it must not contain a line break');
  }
  const args = ['--batch', '--no-tty', '--status-fd', '2'];
  if (options.passphrase !== undefined) args.push('--pinentry-mode', 'loopback', '--passphrase-fd', '3');
  args.push('--local-user', keyId, '--sign', '--output', '-');
  const child = spawn(options.gpg ?? 'gpg', args, {
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const fd3 = child.stdio[3] as NodeJS.WritableStream | null;
  if (fd3) fd3.end(options.passphrase !== undefined ? `${options.passphrase}\n` : '');
  child.stdin?.end(Buffer.from(payload));
  let code: number;
  try {
    code = await done;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(
        'GPG_NOT_FOUND',
        'gpg is not installed: --sign-by needs it (or sign with --sign-key FILE)',
        {
          cause,
        },
      );
    }
    throw cause;
  }
  if (code !== 0 || out.length === 0) {
    const status = Buffer.concat(err).toString('utf8');
    if (/BAD_PASSPHRASE|Bad passphrase/i.test(status))
      throw new InvalidInputError('WRONG_PASSPHRASE', `gpg: the passphrase does not unlock key ${keyId}`);
    if (/INV_SGNR|No secret key|skipped:/i.test(status))
      throw new NotFoundError(
        'GPG_KEY_NOT_FOUND',
        `gpg has no secret key ${keyId} (GNUPGHOME=${options.env?.GNUPGHOME ?? process.env.GNUPGHOME ?? '~/.gnupg'})`,
      );
    const line = status
      .split('\n')
      .filter((l) => l.startsWith('gpg:'))
      .slice(-1)[0];
    throw new InvalidInputError(
      'GPG_SIGN_FAILED',
      `gpg could not sign with ${keyId}${line ? `: ${line}` : ''}`,
    );
  }
  return new Uint8Array(Buffer.concat(out));
}
