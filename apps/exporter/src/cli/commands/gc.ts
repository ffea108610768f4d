import { resolve } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { commonOptions, defaultStoreDir, printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.gc;

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
