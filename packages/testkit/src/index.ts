export { writeBusyboxRootfs } from './busybox.js';
export type { ContainerdOptions, RunningContainerd } from './containerd.js';
export { startContainerd } from './containerd.js';
export type { DockerdOptions, RunningDockerd } from './dockerd.js';
export { socketRequest, startDockerd } from './dockerd.js';
export type { FakeDaemon, FakeHandler, RecordedRequest } from './fake-engine.js';
export { sendJson, startFakeDaemon } from './fake-engine.js';
export type { Fault, FaultProxy, ProxiedRequest } from './fault-proxy.js';
export { startFaultProxy } from './fault-proxy.js';
export type { GpgKey, GpgKeyOptions } from './gpg-keys.js';
export { gpgIn, makeGpgKey } from './gpg-keys.js';
export type {
  HostileExchange,
  HostileHandler,
  HostileRegistry,
  HostileRegistryOptions,
  HostileRequest,
} from './hostile-registry.js';
export { startHostileRegistry } from './hostile-registry.js';
export type { PeerSetup } from './peer-setup.js';
export { setUpPeer } from './peer-setup.js';
export type { PeerName } from './peers.js';
export { findPeer, havePeers, inCI, requirePeer } from './peers.js';
export { firstTsBlock, runReadmeExample } from './readme-example.js';
export type { ReadmeExampleSetup } from './readme-setup.js';
export { hostArchitecture, prepareReadmeExample, readmePeers, writeReadmeLayout } from './readme-setup.js';
export type { RegistryOptions, RunningRegistry } from './registry.js';
export { freePort, startRegistry } from './registry.js';
export type {
  TestUser,
  TlsRegistry,
  TokenRequestLog,
  TokenServer,
  TokenServerOptions,
} from './registry-auth.js';
export {
  htpasswdAuthConfig,
  selfSignedCertificate,
  startTlsRegistry,
  startTokenServer,
} from './registry-auth.js';
export type { RunResult } from './run.js';
export { run } from './run.js';
export type { TempDir } from './temp.js';
export { makeTempDir } from './temp.js';
