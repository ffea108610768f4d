type Handler = (args: string[], signal: AbortSignal) => Promise<number>;

async function load(command: string): Promise<{ run: Handler; help: string }> {
  switch (command) {
    case 'export':
      return import('./commands/export.js');
    case 'inspect':
      return import('./commands/inspect.js');
    case 'ls':
      return import('./commands/ls.js');
    case 'tag':
      return import('./commands/tag.js');
    case 'rm':
      return import('./commands/rm.js');
    case 'gc':
      return import('./commands/gc.js');
    case 'push':
      return import('./commands/push.js');
    case 'copy':
      return import('./commands/copy.js');
    case 'verify':
      return import('./commands/verify.js');
    case 'key':
      return import('./commands/key.js');
    default:
      throw new Error(`no handler for ${command}`);
  }
}

export interface RunOptions {
  /** `--debug` or LADING_DEBUG: a failure prints its stack. */
  readonly debug?: boolean;
}

/** Runs one command: help, SIGINT -> abort (exit 130), errors -> `reportError` and DESIGN §6's exit code. */
export async function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    const { helpTexts } = await import('./help.js');
    const text = (helpTexts as Record<string, string>)[command];
    if (text !== undefined) {
      process.stdout.write(text);
      return 0;
    }
  }
  const mod = await load(command);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.removeAllListeners('SIGINT');
      process.kill(process.pid, 'SIGINT');
    }
    process.stderr.write('\nlading: interrupted, cleaning up (Ctrl-C again to quit now)\n');
    controller.abort(Object.assign(new Error('interrupted'), { name: 'AbortError' }));
    // Work blocked in a read that never ends (a FIFO) holds a threadpool thread that process.exit would wait
    // for; after a grace period die by SIGINT itself (the shell reports 130).
    setTimeout(() => {
      process.removeAllListeners('SIGINT');
      process.kill(process.pid, 'SIGINT');
    }, 3000).unref();
  };
  process.on('SIGINT', onSigint);
  try {
    return await mod.run(args, controller.signal);
  } catch (error) {
    const { reportError } = await import('./report-error.js');
    return reportError(error, {
      command,
      debug: options.debug ?? false,
      interrupted: controller.signal.aborted,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}
