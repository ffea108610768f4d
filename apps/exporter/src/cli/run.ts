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

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Runs one command: help, SIGINT -> abort (exit 130), errors -> message on stderr and DESIGN §6's exit code. */
export async function runCommand(command: string, args: string[]): Promise<number> {
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
    if (controller.signal.aborted) {
      process.stderr.write('lading: interrupted\n');
      return 130;
    }
    if (isParseArgsError(error)) {
      process.stderr.write(`lading ${command}: ${(error as Error).message}\nSee: lading ${command} --help\n`);
      return 2;
    }
    const { exitCodeFor, isLadingError } = await import('@lading/digest');
    const message = isLadingError(error)
      ? (error as Error).message
      : ((error as Error)?.stack ?? String(error));
    process.stderr.write(`lading ${command}: ${message}\n`);
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
