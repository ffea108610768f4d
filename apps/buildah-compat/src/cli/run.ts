import { printable } from '@lading/digest';
import { parseCommandArgs } from './args.js';
import type { CommandDef } from './command.js';
import { logLevel, parseGlobals } from './globals.js';
import { buildahFailureExit, reportError, wantsDetailedExitCodes } from './report-error.js';

// Each command's module loads when it runs (and the operations that make, copy or move images load inside it), so
// `images`, `containers` or `inspect` start as fast as a native tool.
const commands: Record<string, () => Promise<CommandDef>> = {
  from: async () => (await import('./commands/from.js')).fromCommand,
  copy: async () => (await import('./commands/copy.js')).copy,
  add: async () => (await import('./commands/copy.js')).add,
  config: async () => (await import('./commands/config.js')).config,
  commit: async () => (await import('./commands/commit.js')).commit,
  push: async () => (await import('./commands/push.js')).push,
  containers: async () => (await import('./commands/containers.js')).containers,
  rm: async () => (await import('./commands/rm.js')).rm,
  mount: async () => (await import('./commands/mount.js')).mount,
  inspect: async () => (await import('./commands/inspect.js')).inspect,
  images: async () => (await import('./commands/images.js')).images,
  tag: async () => (await import('./commands/tag.js')).tag,
  rmi: async () => (await import('./commands/rmi.js')).rmi,
};

const out = (s: string) => process.stdout.write(s);

export interface CliOptions {
  /** `--debug` or LADING_DEBUG: a failure prints its stack. */
  readonly debug?: boolean;
}

/** Parses the global options, then dispatches to the command; errors become a message and an exit code. */
export async function runCli(
  argv: readonly string[],
  usage: string,
  options: CliOptions = {},
): Promise<number> {
  let debug = options.debug ?? false;
  const interrupt = new AbortController();
  const stop = () => interrupt.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { globals, rest, debug: debugFlag } = parseGlobals(argv, interrupt.signal);
    // `--debug=false` after LADING_DEBUG=1 or a bare `--debug`: the flag given with a value decides.
    debug = debugFlag ?? debug;
    const [name, ...args] = rest;
    if (name === undefined) {
      out(usage);
      return 2;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      const { packageVersion } = await import('../operations/commit.js');
      out(`lading-buildah version ${packageVersion()}\n`);
      return 0;
    }
    // An own command only: `constructor` or `toString` must not find Object.prototype's members.
    const load = name === 'help' || !Object.hasOwn(commands, name) ? undefined : commands[name];
    if (load === undefined) {
      if (name === 'help' || name === '--help' || name === '-h') {
        // `help COMMAND` after global options too (`--root DIR help commit`), as buildah's help command
        const [topic] = args;
        const target =
          name === 'help' && topic !== undefined && Object.hasOwn(commands, topic)
            ? commands[topic]
            : undefined;
        out(target !== undefined ? (await target()).usage : usage);
        return 0;
      }
      process.stderr.write(
        `Error: unknown command ${printable(JSON.stringify(name))} for "lading-buildah"\n\n${usage}`,
      );
      return wantsDetailedExitCodes() ? 2 : buildahFailureExit;
    }
    const def = await load();
    const { values, positionals } = parseCommandArgs(args, def.options, def.bareValues);
    if (values.help === true) {
      out(def.usage);
      return 0;
    }
    return await def.run(globals, values, positionals);
  } catch (error) {
    return reportError(error, {
      debug,
      interrupted: interrupt.signal.aborted,
      logLevel: logLevel(),
      detailedExitCodes: wantsDetailedExitCodes(),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
