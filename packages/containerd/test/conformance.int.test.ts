// The content-store conformance suite against containerd's own content service: a real containerd 1.6, one
// namespace per test so each starts empty. The suite expects content written without a lease to stay until gc()
// is called, as in lading's own stores; containerd's GC scheduler instead collects unreferenced content soon after
// any deletion. So this daemon's scheduler collects only when asked (a synchronous lease deletion, as gc() does);
// real use holds work in progress with a lease, as the image exporter does.
import { describeStoreConformance } from '@lading/content-store/conformance';
import { havePeers, type RunningContainerd, startContainerd } from '@lading/testkit';
import { afterAll, beforeAll, describe } from 'vitest';
import { type ContainerdClient, connectContainerd } from '../src/index.js';

const collectOnlyWhenAsked = [
  '[plugins."io.containerd.gc.v1.scheduler"]',
  '  pause_threshold = 0.000001',
  '  deletion_threshold = 1000000',
  '  mutation_threshold = 1000000',
  '  startup_delay = "1h"',
];

describe.runIf(havePeers('containerd', 'ctr'))('containerd content store', () => {
  let daemon: RunningContainerd;
  let client: ContainerdClient;
  let n = 0;
  beforeAll(async () => {
    daemon = await startContainerd({ extraConfig: collectOnlyWhenAsked });
    client = await connectContainerd({ address: daemon.address, namespace: 'default' });
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await daemon?.stop();
  });

  describeStoreConformance('containerd', async () => ({
    store: client.withNamespace(`conformance-${++n}`).content,
  }));
});
