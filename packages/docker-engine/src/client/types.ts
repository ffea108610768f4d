// The Engine API's JSON, with its own field names (api/types in moby), as far as lading reads it.

/** `GET /_ping`: the headers that matter. */
export interface EnginePing {
  /** The daemon's newest API version (`Api-Version`), when it says. */
  readonly apiVersion?: string;
  /** `OSType`: linux or windows. */
  readonly osType?: string;
  readonly experimental: boolean;
  /** `Builder-Version`: 1 (classic) or 2 (BuildKit). */
  readonly builderVersion?: string;
}

/** `GET /version`. */
export interface EngineVersion {
  readonly Version: string;
  readonly ApiVersion: string;
  readonly MinAPIVersion?: string;
  readonly Os: string;
  readonly Arch: string;
  readonly KernelVersion?: string;
  readonly GitCommit?: string;
  readonly Components?: readonly { readonly Name: string; readonly Version: string }[];
}

/** `GET /info`, the fields lading reads. */
export interface EngineInfo {
  readonly ID?: string;
  readonly Driver?: string;
  /** e.g. `[["driver-type", "io.containerd.snapshotter.v1"]]` when images live in containerd. */
  readonly DriverStatus?: readonly (readonly [string, string])[] | null;
  readonly DockerRootDir?: string;
  readonly OSType?: string;
  readonly Architecture?: string;
  readonly ServerVersion?: string;
}

/** One entry of `GET /images/json`. */
export interface ImageSummary {
  readonly Id: string;
  readonly ParentId?: string;
  readonly RepoTags: readonly string[] | null;
  readonly RepoDigests: readonly string[] | null;
  readonly Created: number;
  readonly Size: number;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** `GET /images/{name}/json`, the fields lading reads (the daemon sends more). */
export interface ImageInspect {
  readonly Id: string;
  readonly RepoTags: readonly string[] | null;
  readonly RepoDigests: readonly string[] | null;
  readonly Parent?: string;
  readonly Created?: string;
  readonly Architecture?: string;
  readonly Variant?: string;
  readonly Os?: string;
  readonly Size?: number;
  readonly Config?: Readonly<Record<string, unknown>> | null;
  /** The image's layers by diffID, oldest first. */
  readonly RootFS?: { readonly Type: string; readonly Layers?: readonly string[] | null };
}

/** One message of a JSON stream (load, build, pull): moby's `jsonmessage.JSONMessage`. */
export interface JsonMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly id?: string;
  readonly progress?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly error?: string;
  readonly errorDetail?: { readonly code?: number; readonly message?: string };
  readonly aux?: unknown;
}
