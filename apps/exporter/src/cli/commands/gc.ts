import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openLocalStore } from '@lading/content-store';
import { commonOptions, defaultStoreDir, printResult } from '../common.js';

export const help = `Usage: lading gc [options]

Remove the blobs of the lading store that no name (index.json) or lease holds.

Examples:
  lading gc --json
`;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({ args, options: commonOptions });
  const store = await openLocalStore(values.store !== undefined ? resolve(values.store) : defaultStoreDir());
  const result = await store.gc({ signal });
  printResult(
    values.json ?? false,
    { removed: result.removed.length, bytesFreed: result.bytesFreed },
    `removed ${result.removed.length} blobs, ${result.bytesFreed} bytes`,
  );
  return 0;
}
