#!/usr/bin/env node
// Kept tiny: `lading-buildah --version` must start fast, so every command handler is imported only when it runs.
import { readFileSync } from 'node:fs';
import { answerTopLevel, runWhenInvoked, takeDebugFlag } from '@lading/cli-support/entry';

export const commands = [
  'from',
  'copy',
  'add',
  'config',
  'commit',
  'push',
  'containers',
  'rm',
  'mount',
  'inspect',
  'images',
  'tag',
  'rmi',
] as const;
export type Command = (typeof commands)[number];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const usage = `Usage: lading-buildah [global options] <command> [options]

Build container images the way buildah does, without buildah, a daemon or root: a working container is a
directory you fill (copy/add) and describe (config), then commit into an image.

Commands:
  from        Create a working container from scratch or an image (pulls it into local storage)
  copy        Copy files and directories into a working container
  add         Like copy, but local tar archives are extracted
  config      Change the image configuration of a working container (env, cmd, labels, ...)
  commit      Create an image from a working container (local storage or any transport)
  push        Push an image from local storage to a transport (docker://, oci:, oci-archive:, dir:, docker-archive:,
              docker-daemon:)
  containers  List working containers
  rm          Remove working containers
  mount       Print the root filesystem path of a working container
  inspect     Show a working container or an image as JSON
  images      List images in local storage
  tag         Add names to an image in local storage
  rmi         Remove images from local storage

Global options:
  --root DIR             Storage root (default $XDG_DATA_HOME/lading-buildah or ~/.local/share/lading-buildah)
  --runroot DIR          Accepted for compatibility; lading-buildah keeps no run-time state
  --storage-driver NAME  Accepted (vfs, overlay) and ignored: working containers are plain directories
  --registries-conf-dir DIR
                         registries.d with the signature lookasides (default ~/.config/containers/registries.d
                         when it exists, else /etc/containers/registries.d)
  --debug                On failure, print stack traces too (also LADING_DEBUG=1)
  -h, --help             Show help (lading-buildah <command> --help for a command)
  -v, --version          Print the version

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 bad input, 4 not found, 5 registry/network, 6 integrity, 130 interrupted.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const { args, debug } = takeDebugFlag(argv);
  const answered = answerTopLevel(args, {
    version: () => `lading-buildah version ${version()}`,
    usage,
    main,
  });
  if (answered !== undefined) return answered;
  const { runCli } = await import('./run.js');
  return runCli(args, usage, { debug });
}

runWhenInvoked({
  bin: 'lading-buildah',
  main,
  prefix: 'Error: ',
  loadReport: async () => {
    const { reportError } = await import('./report-error.js');
    return (error, debug) => reportError(error, { debug });
  },
});
