#!/usr/bin/env node
// Kept tiny: `lading --version` must start fast, so every command handler is imported only when it runs.
import { readFileSync } from 'node:fs';
import { answerTopLevel, runWhenInvoked, takeDebugFlag } from '@lading/cli-support/entry';

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

export async function main(argv: readonly string[]): Promise<number> {
  const { args, debug } = takeDebugFlag(argv);
  const answered = answerTopLevel(args, { version: () => `lading ${version()}`, usage, main });
  if (answered !== undefined) return answered;
  const [first, ...rest] = args as [string, ...string[]];
  if (!(commands as readonly string[]).includes(first)) {
    process.stderr.write(`lading: unknown command ${JSON.stringify(first)}\n\n${usage}`);
    return 2;
  }
  const { runCommand } = await import('./run.js');
  return runCommand(first as Command, rest, { debug });
}

runWhenInvoked({
  bin: 'lading',
  main,
  prefix: 'lading: ',
  loadReport: async () => {
    const { reportError } = await import('./report-error.js');
    return (error, debug) => reportError(error, { debug });
  },
});
