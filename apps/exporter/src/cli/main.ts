#!/usr/bin/env node
// Kept tiny: `lading --version` must start fast, so every command handler is imported only when it runs.
import { readFileSync } from 'node:fs';

const commands = ['export', 'inspect', 'push', 'copy', 'verify', 'key', 'ls', 'tag', 'rm', 'gc'] as const;
type Command = (typeof commands)[number];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const usage = `Usage: lading <command> [options]

Turn a filesystem into a container image, store it, push it.

Commands:
  export   Build an image from directories/tarballs and export it (--output type=oci|docker|image|registry|moby)
  inspect  Show an image's manifest and config (oci:DIR[:TAG], docker://REF, a name in the store, ...)
  push     Push an image from the store (or oci:DIR:TAG) to a registry
  copy     Copy an image between oci:, docker://, containerd://, the store, oci-archive:, docker-archive:, dir:
  verify   Check an image's signatures against public keys (exit 0 signed, 10 unsigned, 11 wrong key, 12 mismatch)
  key      Generate a cosign-format signing key pair (lading key generate --out PREFIX)
  ls       List the images in the store (or an oci:DIR layout)
  tag      Give an image in the store another name
  rm       Remove names from the store
  gc       Remove blobs no name or lease holds

Global options:
  -h, --help     Show help (lading <command> --help for a command)
  -v, --version  Print the version
  --debug        On failure, print stack traces too (also LADING_DEBUG=1)

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 bad input, 4 not found, 5 registry/network, 6 integrity, 130 interrupted.
`;

/** `--debug` anywhere before a `--` (taken out of the arguments), or LADING_DEBUG set to anything but 0/false. */
export function takeDebugFlag(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { args: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const args = [...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
  const fromEnv =
    env.LADING_DEBUG !== undefined && !['', '0', 'false'].includes(env.LADING_DEBUG.toLowerCase());
  return { args, debug: fromEnv || args.length !== argv.length };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { args, debug } = takeDebugFlag(argv);
  const [first, ...rest] = args;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`lading ${version()}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0] !== undefined) return main([rest[0], '--help']);
    process.stdout.write(usage);
    return first === undefined ? 2 : 0;
  }
  if (!(commands as readonly string[]).includes(first)) {
    process.stderr.write(`lading: unknown command ${JSON.stringify(first)}\n\n${usage}`);
    return 2;
  }
  const { runCommand } = await import('./run.js');
  return runCommand(first as Command, rest, { debug });
}

/** Last resort for what escaped every handler (a stream error nobody awaited): one line and an exit code. */
function fatal(error: unknown, debug: boolean): void {
  import('./report-error.js').then(
    ({ reportError }) => process.exit(reportError(error, { debug })),
    () => {
      process.stderr.write(`lading: ${String((error as Error)?.message ?? error)}\n`);
      process.exit(1);
    },
  );
}

// Run when executed directly (also through the npm bin symlink), not when imported by tests.
const invoked = process.argv[1];
if (invoked !== undefined && /(?:^|[\\/])(?:main\.js|lading)$/.test(invoked)) {
  const { debug } = takeDebugFlag(process.argv.slice(2));
  process.on('uncaughtException', (error) => fatal(error, debug));
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => fatal(error, debug),
  );
}
