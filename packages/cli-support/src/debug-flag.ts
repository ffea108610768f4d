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
