// The RPCs lading calls: gRPC path, request and response message (fully qualified names in definitions.ts).

export interface Method {
  readonly path: string;
  readonly request: string;
  readonly response: string;
}

const content = 'containerd.services.content.v1';
const images = 'containerd.services.images.v1';
const leases = 'containerd.services.leases.v1';
const snapshots = 'containerd.services.snapshots.v1';
const diff = 'containerd.services.diff.v1';
const empty = 'google.protobuf.Empty';

const m = (service: string, name: string, request: string, response: string): Method => ({
  path: `/${service}/${name}`,
  request,
  response,
});

export const Methods = {
  content: {
    info: m(`${content}.Content`, 'Info', `${content}.InfoRequest`, `${content}.InfoResponse`),
    update: m(`${content}.Content`, 'Update', `${content}.UpdateRequest`, `${content}.UpdateResponse`),
    list: m(`${content}.Content`, 'List', `${content}.ListContentRequest`, `${content}.ListContentResponse`),
    delete: m(`${content}.Content`, 'Delete', `${content}.DeleteContentRequest`, empty),
    read: m(`${content}.Content`, 'Read', `${content}.ReadContentRequest`, `${content}.ReadContentResponse`),
    status: m(`${content}.Content`, 'Status', `${content}.StatusRequest`, `${content}.StatusResponse`),
    listStatuses: m(
      `${content}.Content`,
      'ListStatuses',
      `${content}.ListStatusesRequest`,
      `${content}.ListStatusesResponse`,
    ),
    write: m(
      `${content}.Content`,
      'Write',
      `${content}.WriteContentRequest`,
      `${content}.WriteContentResponse`,
    ),
    abort: m(`${content}.Content`, 'Abort', `${content}.AbortRequest`, empty),
  },
  images: {
    get: m(`${images}.Images`, 'Get', `${images}.GetImageRequest`, `${images}.GetImageResponse`),
    list: m(`${images}.Images`, 'List', `${images}.ListImagesRequest`, `${images}.ListImagesResponse`),
    create: m(`${images}.Images`, 'Create', `${images}.CreateImageRequest`, `${images}.CreateImageResponse`),
    update: m(`${images}.Images`, 'Update', `${images}.UpdateImageRequest`, `${images}.UpdateImageResponse`),
    delete: m(`${images}.Images`, 'Delete', `${images}.DeleteImageRequest`, empty),
  },
  leases: {
    create: m(`${leases}.Leases`, 'Create', `${leases}.CreateRequest`, `${leases}.CreateResponse`),
    delete: m(`${leases}.Leases`, 'Delete', `${leases}.DeleteRequest`, empty),
    list: m(`${leases}.Leases`, 'List', `${leases}.ListRequest`, `${leases}.ListResponse`),
    addResource: m(`${leases}.Leases`, 'AddResource', `${leases}.AddResourceRequest`, empty),
    deleteResource: m(`${leases}.Leases`, 'DeleteResource', `${leases}.DeleteResourceRequest`, empty),
    listResources: m(
      `${leases}.Leases`,
      'ListResources',
      `${leases}.ListResourcesRequest`,
      `${leases}.ListResourcesResponse`,
    ),
  },
  snapshots: {
    prepare: m(
      `${snapshots}.Snapshots`,
      'Prepare',
      `${snapshots}.PrepareSnapshotRequest`,
      `${snapshots}.PrepareSnapshotResponse`,
    ),
    mounts: m(
      `${snapshots}.Snapshots`,
      'Mounts',
      `${snapshots}.MountsRequest`,
      `${snapshots}.MountsResponse`,
    ),
    commit: m(`${snapshots}.Snapshots`, 'Commit', `${snapshots}.CommitSnapshotRequest`, empty),
    remove: m(`${snapshots}.Snapshots`, 'Remove', `${snapshots}.RemoveSnapshotRequest`, empty),
    stat: m(
      `${snapshots}.Snapshots`,
      'Stat',
      `${snapshots}.StatSnapshotRequest`,
      `${snapshots}.StatSnapshotResponse`,
    ),
    list: m(
      `${snapshots}.Snapshots`,
      'List',
      `${snapshots}.ListSnapshotsRequest`,
      `${snapshots}.ListSnapshotsResponse`,
    ),
  },
  diff: {
    apply: m(`${diff}.Diff`, 'Apply', `${diff}.ApplyRequest`, `${diff}.ApplyResponse`),
  },
  version: {
    version: m(
      'containerd.services.version.v1.Version',
      'Version',
      empty,
      'containerd.services.version.v1.VersionResponse',
    ),
  },
  namespaces: {
    list: m(
      'containerd.services.namespaces.v1.Namespaces',
      'List',
      'containerd.services.namespaces.v1.ListNamespacesRequest',
      'containerd.services.namespaces.v1.ListNamespacesResponse',
    ),
    delete: m(
      'containerd.services.namespaces.v1.Namespaces',
      'Delete',
      'containerd.services.namespaces.v1.DeleteNamespaceRequest',
      empty,
    ),
  },
} as const;
