import { connect } from 'node:net';
import { socketPath } from './transport.js';
import { requireNamespace } from './validate.js';

/** Where containerd listens unless told otherwise (its defaults.DefaultAddress on Linux). */
export const defaultContainerdAddress = '/run/containerd/containerd.sock';
/** The namespace ctr and nerdctl use unless told otherwise. */
export const defaultContainerdNamespace = 'default';

export interface ContainerdLocation {
  readonly address: string;
  readonly namespace: string;
}

/**
 * The socket and namespace to use: the given ones, else `CONTAINERD_ADDRESS` / `CONTAINERD_NAMESPACE`, else the
 * defaults, as ctr resolves its `--address` and `--namespace`. The namespace is checked here (InvalidInputError).
 */
export function resolveContainerdLocation(
  options: { address?: string | undefined; namespace?: string | undefined } = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ContainerdLocation {
  const address = options.address || env.CONTAINERD_ADDRESS || defaultContainerdAddress;
  const namespace = options.namespace || env.CONTAINERD_NAMESPACE || defaultContainerdNamespace;
  return { address, namespace: requireNamespace(namespace) };
}

/**
 * True when something accepts connections on the socket: a cheap check (no gRPC loaded) for "is there a containerd
 * here", used to pick containerd as the image store when nobody named one.
 */
export function containerdAnswers(address: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath(address));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), options.timeoutMs ?? 500);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
