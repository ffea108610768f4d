import type { IncomingMessage } from 'node:http';
import { EngineError } from './errors.js';
import type { EngineRequest, EngineResponse } from './transport.js';

/** One API call: the request, and what it is for (the start of any error message: "inspecting image app:1"). */
export interface EngineCall extends Omit<EngineRequest, 'path'> {
  /** The path under the version prefix: `/images/json`. */
  readonly path: string;
  readonly what: string;
}

/**
 * What each API area needs of the client: versioned calls whose errors are already typed. The areas (system,
 * images, image-load, image-save) are functions over this, so the client class only wires them together.
 */
export interface EngineApi {
  readonly address: string;
  /** A versioned call; a status >= 400 is thrown as the daemon's message (see `apiError`). */
  call(call: EngineCall): Promise<EngineResponse>;
  /** A versioned call whose answer is JSON, read up to `maxBytes` (default 16 MiB). */
  callJson<T>(call: EngineCall & { readonly maxBytes?: number }): Promise<T>;
}

/** A response body read whole, refusing more than `maxBytes`. */
export async function readCapped(body: IncomingMessage, maxBytes: number, address: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      body.destroy();
      throw new EngineError(
        'ENGINE_ANSWER_TOO_LARGE',
        `the Docker Engine at ${address} sent more than ${maxBytes} bytes where a small answer was expected`,
        { address },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
