import { StringDecoder } from 'node:string_decoder';
import { cleanDaemonText, EngineError } from './errors.js';
import type { JsonMessage } from './types.js';

/** No single message of a daemon's stream is this long; a longer one means the stream is not what it claims. */
const maxMessageBytes = 1 << 20;

function parseMessage(line: string, address: string): JsonMessage {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonMessage;
  } catch {
    // fall through
  }
  throw new EngineError(
    'ENGINE_BAD_STREAM',
    `the Docker Engine at ${address} sent a message that is not JSON: ${cleanDaemonText(line, 200)}`,
    { address },
  );
}

/**
 * The messages of a daemon's JSON stream (`/images/load`, `/build`, `/images/create`), as they arrive. moby writes
 * one object per line (`\r\n` after each); blank lines are skipped.
 */
export async function* readJsonMessages(
  body: AsyncIterable<Uint8Array | string>,
  address: string,
): AsyncGenerator<JsonMessage> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk));
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield parseMessage(line, address);
      nl = pending.indexOf('\n');
    }
    if (pending.length > maxMessageBytes) {
      throw new EngineError(
        'ENGINE_BAD_STREAM',
        `the Docker Engine at ${address} sent a message longer than 1 MiB`,
        { address },
      );
    }
  }
  const last = (pending + decoder.end()).trim();
  if (last !== '') yield parseMessage(last, address);
}

/** The daemon's error in a message (`{"error": ...}` or `errorDetail`), undefined when it reports none. */
export function messageError(message: JsonMessage): string | undefined {
  const text = message.errorDetail?.message ?? message.error;
  return typeof text === 'string' && text !== '' ? text : undefined;
}
