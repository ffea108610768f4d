import type { Descriptor } from '@lading/digest';
import { storePut } from './put-blob.js';
import type { BlobSink, BlobSource, PutOptions, PutResult, Store, WriterOptions } from './types.js';
import { requireLeaseId } from './validate.js';

/**
 * The store seen through a lease, as BuildKit's `leaseutil.WithLease` puts one in the context: every writer commits
 * under the lease (the lease names the blob before it appears, so no GC can take it in between), and `has`/`put`
 * record a blob that is already present in the lease before saying so. Work that writes blobs and names them later
 * (an exporter) does it all through this view, then deletes the lease once the names are written.
 */
export function withLease<T extends Store & Partial<BlobSink>>(store: T, leaseId: string): T {
  requireLeaseId(leaseId);
  const overrides: Partial<Store & BlobSink> = {
    writer: (options: WriterOptions) => store.writer({ ...options, lease: options.lease ?? leaseId }),
    // Recorded first, then checked: a blob found present is held from that moment on.
    has: async (desc: Descriptor) => {
      await store.addLeaseResource(leaseId, desc.digest);
      if (typeof store.has === 'function') return store.has(desc);
      return store.info(desc.digest).then(
        (info) => info.size === desc.size,
        () => false,
      );
    },
    put: (desc: Descriptor, source: BlobSource, options?: PutOptions): Promise<PutResult> =>
      storePut(view as Store, desc, source, options),
  };
  const view: T = new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof typeof overrides];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return view;
}
