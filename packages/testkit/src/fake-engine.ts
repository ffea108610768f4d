// A small fake Docker Engine on a unix socket, for a client's error paths: each test says how it answers, and every
// request (method, path, headers, body) is recorded. The real dockerd (`startDockerd`) is the oracle for the rest.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from './temp.js';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface FakeDaemon {
  readonly socket: string;
  readonly host: string;
  readonly requests: RecordedRequest[];
  /** Answers from now on; `/_ping` answers with `Api-Version: apiVersion` unless the handler takes it. */
  handle(handler: FakeHandler): void;
  apiVersion: string | undefined;
  /** When set, requests are answered before their body is read (the handler reads it if it wants). */
  streaming: boolean;
  /** Between tests: no requests recorded, `apiVersion` 1.41, not streaming, the default handler (404). */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeDaemon(): Promise<FakeDaemon & { dir: TempDir }> {
  const dir = await makeTempDir('lading-fake-engine-');
  const socket = join(dir.path, 'engine.sock');
  const notFound: FakeHandler = (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"message":"page not found"}');
  };
  let handler = notFound;
  const state: FakeDaemon & { dir: TempDir } = {
    socket,
    host: `unix://${socket}`,
    requests: [],
    apiVersion: '1.41',
    streaming: false,
    dir,
    handle(h) {
      handler = h;
    },
    reset() {
      state.requests.length = 0;
      state.apiVersion = '1.41';
      state.streaming = false;
      handler = notFound;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dir.cleanup();
    },
  };
  const server: Server = createServer(async (req, res) => {
    if (state.streaming && req.url !== '/_ping') {
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.alloc(0),
      });
      await handler(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (req.url === '/_ping') {
      res.writeHead(200, state.apiVersion ? { 'Api-Version': state.apiVersion, OSType: 'linux' } : {});
      res.end('OK');
      return;
    }
    await handler(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return state;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}
