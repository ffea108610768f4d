import { stat } from 'node:fs/promises';
import type { Client, ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import { ContainerdError, fromGrpcError } from './errors.js';
import type { Codec } from './proto/codec.js';
import type { Method } from './proto/methods.js';

/** Plain decoded message: proto3 defaults filled in, int64 as number, nested messages as objects (or null). */
export type Message = Record<string, unknown>;

/** Where a call lands: containerd scopes everything by namespace, and by lease when one is given. */
export interface Scope {
  readonly namespace: string;
  readonly lease?: string;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** One bidirectional call (the content service's Write): messages out in order, responses in order. */
export interface BidiCall {
  /** Queues a message; false means the stream is full: await `drain()` before sending more. */
  write(message: object): boolean;
  drain(): Promise<void>;
  /** Half-closes: the server sees the end of the stream. */
  end(): void;
  cancel(): void;
  onMessage(handler: (message: Message) => void): void;
  /** Settles when the call ends: resolved on OK, rejected with a typed error otherwise. */
  readonly finished: Promise<void>;
}

type Grpc = typeof import('@grpc/grpc-js');

const maxMessage = 64 * 1024 * 1024;

/**
 * A gRPC channel to one containerd socket. Loads @grpc/grpc-js and protobufjs on `connect`, so importing this
 * package costs nothing until a daemon is used. Calls carry containerd's `containerd-namespace` header and, for work
 * that must outlive nothing but its lease, `containerd-lease`.
 */
export class Transport {
  readonly address: string;
  readonly #grpc: Grpc;
  readonly #client: Client;
  readonly #codecs: Map<string, Codec>;

  private constructor(address: string, grpc: Grpc, client: Client, codecs: Map<string, Codec>) {
    this.address = address;
    this.#grpc = grpc;
    this.#client = client;
    this.#codecs = codecs;
  }

  /** Opens a channel and waits until containerd answers (or `timeoutMs`, default 10 s, passes). */
  static async connect(address: string, options: { timeoutMs?: number } = {}): Promise<Transport> {
    const path = socketPath(address);
    let isSocket = false;
    try {
      isSocket = (await stat(path)).isSocket();
    } catch (cause) {
      throw new ContainerdError(
        'CONTAINERD_NO_SOCKET',
        `no containerd socket at ${address}: start containerd, or point CONTAINERD_ADDRESS / --containerd-address at its grpc.address`,
        { cause, address },
      );
    }
    if (!isSocket) {
      throw new ContainerdError(
        'CONTAINERD_NO_SOCKET',
        `${address} is not a socket: give containerd's grpc.address`,
        {
          address,
        },
      );
    }
    const [grpc, { loadCodecs }] = await Promise.all([import('@grpc/grpc-js'), import('./proto/codec.js')]);
    const codecs = await loadCodecs();
    const client = new grpc.Client(`unix:${path}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': maxMessage,
      'grpc.max_send_message_length': maxMessage,
      'grpc.default_authority': 'localhost',
      // A big receive window: blobs are read as a stream of 1 MiB messages.
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + (options.timeoutMs ?? 10_000), (error) => {
        if (!error) return resolve();
        client.close();
        reject(
          new ContainerdError(
            'CONTAINERD_UNAVAILABLE',
            `containerd at ${address} does not answer (${error.message}): is it running as this user can reach it?`,
            { cause: error, address },
          ),
        );
      });
    });
    return new Transport(address, grpc, client, codecs);
  }

  close(): void {
    this.#client.close();
  }

  #codec(name: string): Codec {
    const c = this.#codecs.get(name);
    if (!c) throw new Error(`no message definition for ${name}`);
    return c;
  }

  #metadata(scope: Scope): Metadata {
    const md = new this.#grpc.Metadata();
    md.set('containerd-namespace', scope.namespace);
    if (scope.lease !== undefined) md.set('containerd-lease', scope.lease);
    return md;
  }

  #fail(error: unknown, what: string, signal?: AbortSignal): Error {
    if (signal?.aborted) return abortReason(signal);
    return fromGrpcError(error, { what, address: this.address });
  }

  /** One request, one response. `what` names the operation in errors. */
  unary(
    method: Method,
    request: object,
    scope: Scope,
    what: string,
    options: CallOptions = {},
  ): Promise<Message> {
    const { signal } = options;
    signal?.throwIfAborted();
    const req = this.#codec(method.request);
    const res = this.#codec(method.response);
    return new Promise((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        method.path,
        (v: object) => req.encode(v),
        (b: Buffer) => res.decode(b),
        request,
        this.#metadata(scope),
        {},
        (error, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(this.#fail(error, what, signal));
          else resolve(value ?? {});
        },
      );
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One request, a stream of responses (Read, List). Errors surface while iterating. */
  async *serverStream(
    method: Method,
    request: object,
    scope: Scope,
    what: string,
    options: CallOptions = {},
  ): AsyncGenerator<Message> {
    const { signal } = options;
    signal?.throwIfAborted();
    const req = this.#codec(method.request);
    const res = this.#codec(method.response);
    const call = this.#client.makeServerStreamRequest(
      method.path,
      (v: object) => req.encode(v),
      (b: Buffer) => res.decode(b),
      request,
      this.#metadata(scope),
    );
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const message of call) yield message as Message;
      finished = true;
    } catch (error) {
      finished = true;
      throw this.#fail(error, what, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // The consumer stopped early: tell the server.
      if (!finished) call.cancel();
    }
  }

  /** A bidirectional stream (content Write). */
  bidi(method: Method, scope: Scope, what: string, options: CallOptions = {}): BidiCall {
    const { signal } = options;
    signal?.throwIfAborted();
    const req = this.#codec(method.request);
    const res = this.#codec(method.response);
    // Messages are encoded when written (not when the stream gets to them): the caller may reuse its buffers.
    const call: ClientDuplexStream<Buffer, Message> = this.#client.makeBidiStreamRequest(
      method.path,
      (v: Buffer) => v,
      (b: Buffer) => res.decode(b),
      this.#metadata(scope),
    );
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const finished = new Promise<void>((resolve, reject) => {
      call.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(this.#fail(error, what, signal));
      });
      call.on('status', (status: { code: number }) => {
        if (status.code === 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    });
    // Nobody may be awaiting yet: the rejection is handled where the writer next looks.
    finished.catch(() => {});
    return {
      write: (message) => call.write(req.encode(message)),
      drain: () =>
        new Promise<void>((resolve) => {
          // 'drain' may have been emitted already, between the write that filled the buffer and this call.
          if (!call.writableNeedDrain) return resolve();
          const done = () => {
            call.off('drain', done);
            resolve();
          };
          call.once('drain', done);
          finished.then(done, done);
        }),
      end: () => call.end(),
      cancel: () => call.cancel(),
      onMessage: (handler) => call.on('data', handler),
      finished,
    };
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** `unix:///run/x.sock`, `unix:/run/x.sock` or a plain path -> the socket's path. */
export function socketPath(address: string): string {
  if (address.startsWith('unix://')) return address.slice('unix://'.length);
  if (address.startsWith('unix:')) return address.slice('unix:'.length);
  return address;
}
