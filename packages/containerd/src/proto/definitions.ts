// The messages of containerd's gRPC API that lading uses, as a protobufjs JSON descriptor. Field numbers and types
// follow containerd 1.6's api/services/{content,images,leases,snapshots,diff,version,namespaces}/v1/*.proto and
// api/types/{descriptor,mount}.proto; fields lading never sends or reads are left out (unknown fields are skipped on
// decode). Field names are camelCase: only the numbers are on the wire.

type Field =
  | { readonly type: string; readonly id: number; readonly rule?: 'repeated' }
  | { readonly keyType: 'string'; readonly type: string; readonly id: number };
type Fields = Readonly<Record<string, Field>>;

const f = (type: string, id: number): Field => ({ type, id });
const repeated = (type: string, id: number): Field => ({ type, id, rule: 'repeated' });
const map = (id: number): Field => ({ keyType: 'string', type: 'string', id });
const msg = (fields: Fields) => ({ fields });

const timestamp = '.google.protobuf.Timestamp';
const fieldMask = '.google.protobuf.FieldMask';
const descriptor = '.containerd.types.Descriptor';
const mount = '.containerd.types.Mount';

export const definitions = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: msg({ seconds: f('int64', 1), nanos: f('int32', 2) }),
            Empty: msg({}),
            FieldMask: msg({ paths: repeated('string', 1) }),
            Any: msg({ typeUrl: f('string', 1), value: f('bytes', 2) }),
          },
        },
      },
    },
    containerd: {
      nested: {
        types: {
          nested: {
            Descriptor: msg({
              mediaType: f('string', 1),
              digest: f('string', 2),
              size: f('int64', 3),
              annotations: map(5),
            }),
            Mount: msg({
              type: f('string', 1),
              source: f('string', 2),
              target: f('string', 3),
              options: repeated('string', 4),
            }),
          },
        },
        services: {
          nested: {
            content: {
              nested: {
                v1: {
                  nested: {
                    Info: msg({
                      digest: f('string', 1),
                      size: f('int64', 2),
                      createdAt: f(timestamp, 3),
                      updatedAt: f(timestamp, 4),
                      labels: map(5),
                    }),
                    InfoRequest: msg({ digest: f('string', 1) }),
                    InfoResponse: msg({ info: f('Info', 1) }),
                    UpdateRequest: msg({ info: f('Info', 1), updateMask: f(fieldMask, 2) }),
                    UpdateResponse: msg({ info: f('Info', 1) }),
                    ListContentRequest: msg({ filters: repeated('string', 1) }),
                    ListContentResponse: msg({ info: repeated('Info', 1) }),
                    DeleteContentRequest: msg({ digest: f('string', 1) }),
                    ReadContentRequest: msg({
                      digest: f('string', 1),
                      offset: f('int64', 2),
                      size: f('int64', 3),
                    }),
                    ReadContentResponse: msg({ offset: f('int64', 1), data: f('bytes', 2) }),
                    Status: msg({
                      startedAt: f(timestamp, 1),
                      updatedAt: f(timestamp, 2),
                      ref: f('string', 3),
                      offset: f('int64', 4),
                      total: f('int64', 5),
                      expected: f('string', 6),
                    }),
                    StatusRequest: msg({ ref: f('string', 1) }),
                    StatusResponse: msg({ status: f('Status', 1) }),
                    ListStatusesRequest: msg({ filters: repeated('string', 1) }),
                    ListStatusesResponse: msg({ statuses: repeated('Status', 1) }),
                    // action: STAT = 0, WRITE = 1, COMMIT = 2
                    WriteContentRequest: msg({
                      action: f('int32', 1),
                      ref: f('string', 2),
                      total: f('int64', 3),
                      expected: f('string', 4),
                      offset: f('int64', 5),
                      data: f('bytes', 6),
                      labels: map(7),
                    }),
                    WriteContentResponse: msg({
                      action: f('int32', 1),
                      startedAt: f(timestamp, 2),
                      updatedAt: f(timestamp, 3),
                      offset: f('int64', 4),
                      total: f('int64', 5),
                      digest: f('string', 6),
                    }),
                    AbortRequest: msg({ ref: f('string', 1) }),
                  },
                },
              },
            },
            images: {
              nested: {
                v1: {
                  nested: {
                    Image: msg({
                      name: f('string', 1),
                      labels: map(2),
                      target: f(descriptor, 3),
                      createdAt: f(timestamp, 7),
                      updatedAt: f(timestamp, 8),
                    }),
                    GetImageRequest: msg({ name: f('string', 1) }),
                    GetImageResponse: msg({ image: f('Image', 1) }),
                    ListImagesRequest: msg({ filters: repeated('string', 1) }),
                    ListImagesResponse: msg({ images: repeated('Image', 1) }),
                    CreateImageRequest: msg({ image: f('Image', 1) }),
                    CreateImageResponse: msg({ image: f('Image', 1) }),
                    UpdateImageRequest: msg({ image: f('Image', 1), updateMask: f(fieldMask, 2) }),
                    UpdateImageResponse: msg({ image: f('Image', 1) }),
                    DeleteImageRequest: msg({ name: f('string', 1), sync: f('bool', 2) }),
                  },
                },
              },
            },
            leases: {
              nested: {
                v1: {
                  nested: {
                    Lease: msg({ id: f('string', 1), createdAt: f(timestamp, 2), labels: map(3) }),
                    CreateRequest: msg({ id: f('string', 1), labels: map(3) }),
                    CreateResponse: msg({ lease: f('Lease', 1) }),
                    DeleteRequest: msg({ id: f('string', 1), sync: f('bool', 2) }),
                    ListRequest: msg({ filters: repeated('string', 1) }),
                    ListResponse: msg({ leases: repeated('Lease', 1) }),
                    Resource: msg({ id: f('string', 1), type: f('string', 2) }),
                    AddResourceRequest: msg({ id: f('string', 1), resource: f('Resource', 2) }),
                    DeleteResourceRequest: msg({ id: f('string', 1), resource: f('Resource', 2) }),
                    ListResourcesRequest: msg({ id: f('string', 1) }),
                    ListResourcesResponse: msg({ resources: repeated('Resource', 1) }),
                  },
                },
              },
            },
            snapshots: {
              nested: {
                v1: {
                  nested: {
                    PrepareSnapshotRequest: msg({
                      snapshotter: f('string', 1),
                      key: f('string', 2),
                      parent: f('string', 3),
                      labels: map(4),
                    }),
                    PrepareSnapshotResponse: msg({ mounts: repeated(mount, 1) }),
                    MountsRequest: msg({ snapshotter: f('string', 1), key: f('string', 2) }),
                    MountsResponse: msg({ mounts: repeated(mount, 1) }),
                    RemoveSnapshotRequest: msg({ snapshotter: f('string', 1), key: f('string', 2) }),
                    CommitSnapshotRequest: msg({
                      snapshotter: f('string', 1),
                      name: f('string', 2),
                      key: f('string', 3),
                      labels: map(4),
                    }),
                    StatSnapshotRequest: msg({ snapshotter: f('string', 1), key: f('string', 2) }),
                    // kind: UNKNOWN = 0, VIEW = 1, ACTIVE = 2, COMMITTED = 3
                    Info: msg({
                      name: f('string', 1),
                      parent: f('string', 2),
                      kind: f('int32', 3),
                      createdAt: f(timestamp, 4),
                      updatedAt: f(timestamp, 5),
                      labels: map(6),
                    }),
                    StatSnapshotResponse: msg({ info: f('Info', 1) }),
                    ListSnapshotsRequest: msg({
                      snapshotter: f('string', 1),
                      filters: repeated('string', 2),
                    }),
                    ListSnapshotsResponse: msg({ info: repeated('Info', 1) }),
                  },
                },
              },
            },
            diff: {
              nested: {
                v1: {
                  nested: {
                    ApplyRequest: msg({ diff: f(descriptor, 1), mounts: repeated(mount, 2) }),
                    ApplyResponse: msg({ applied: f(descriptor, 1) }),
                  },
                },
              },
            },
            version: {
              nested: {
                v1: {
                  nested: {
                    VersionResponse: msg({ version: f('string', 1), revision: f('string', 2) }),
                  },
                },
              },
            },
            namespaces: {
              nested: {
                v1: {
                  nested: {
                    Namespace: msg({ name: f('string', 1), labels: map(2) }),
                    ListNamespacesRequest: msg({ filter: f('string', 1) }),
                    ListNamespacesResponse: msg({ namespaces: repeated('Namespace', 1) }),
                    DeleteNamespaceRequest: msg({ name: f('string', 1) }),
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
