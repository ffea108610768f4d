import { exitCodeFor } from '@lading/digest';

/** Parses the global options, then dispatches to the command. */
export async function runCli(argv: readonly string[], usage: string): Promise<number> {
  try {
    process.stderr.write(`lading-buildah: ${argv[0]}: not implemented yet\n\n${usage}`);
    return 2;
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    return exitCodeFor(error);
  }
}
