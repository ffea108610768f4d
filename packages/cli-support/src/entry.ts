import { takeDebugFlag } from './debug-flag.js';

// `@lading/cli-support/entry`: what a CLI's main module needs, and nothing that loads digest, so `--version` stays fast.
export { takeDebugFlag };

export interface TopLevel {
  /** The `--version` line, without its newline. */
  readonly version: () => string;
  readonly usage: string;
  /** The CLI's main, which `help COMMAND` calls again as `COMMAND --help`. */
  readonly main: (argv: readonly string[]) => Promise<number>;
}

/**
 * What both CLIs answer before a command: `--version` (`-v`, `version`), `help [COMMAND]`, `--help`, and no
 * arguments (the usage, exit 2). Undefined when `args` name a command.
 */
export function answerTopLevel(args: readonly string[], cli: TopLevel): Promise<number> | number | undefined {
  const [first, ...rest] = args;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${cli.version()}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0] !== undefined) return cli.main([rest[0], '--help']);
    process.stdout.write(cli.usage);
    return first === undefined ? 2 : 0;
  }
  return undefined;
}

export interface BinEntry {
  /** The bin's name (`lading`): main runs when the process was started as it or as `main.js`. */
  readonly bin: string;
  readonly main: (argv: readonly string[]) => Promise<number>;
  /** The CLI's error report (loaded lazily): prints the failure, returns the exit code. */
  readonly loadReport: () => Promise<(error: unknown, debug: boolean) => number>;
  /** What starts the line printed when even the report cannot load (`lading: `, `Error: `). */
  readonly prefix: string;
}

/**
 * Runs `main` with the process's arguments when the module was executed (also through the npm bin symlink), not
 * when a test imports it. What escapes every handler (a stream error nobody awaited) is reported once, as a last
 * resort, with an exit code.
 */
export function runWhenInvoked(entry: BinEntry): void {
  const invoked = process.argv[1];
  const name = entry.bin.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  if (invoked === undefined || !new RegExp(`(?:^|[\\\\/])(?:main\\.js|${name})$`).test(invoked)) return;
  const { debug } = takeDebugFlag(process.argv.slice(2));
  const fatal = (error: unknown) => {
    entry.loadReport().then(
      (report) => process.exit(report(error, debug)),
      () => {
        process.stderr.write(`${entry.prefix}${String((error as Error)?.message ?? error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('uncaughtException', fatal);
  entry.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, fatal);
}
