// Reading what a cache run did: lading's --progress json events, and BuildKit's own progress (dockerd's build stream).

export interface ProgressEvent {
  readonly event: string;
  readonly message?: string;
  readonly id?: string;
  readonly name?: string;
  readonly error?: string;
}

/** The JSON events of `--progress json` on stderr. */
export function progressEvents(stderr: string): ProgressEvent[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ProgressEvent);
}

export const warnings = (stderr: string): string[] =>
  progressEvents(stderr)
    .filter((e) => e.event === 'warning')
    .map((e) => e.message ?? '');

export const debugLines = (stderr: string): string[] =>
  progressEvents(stderr)
    .filter((e) => e.event === 'debug')
    .map((e) => e.message ?? '');

/** How each layer was made, from the debug events: built, cached (the local layer cache), or the cache it came from. */
export function layerOrigins(stderr: string): string[] {
  return debugLines(stderr)
    .filter((m) => /^layer \d+: /.test(m))
    .map((m) => /\(([^)]*)\)$/.exec(m)?.[1] ?? '');
}

/** One BuildKit vertex as its progress reports it. */
export interface BuildkitVertex {
  digest: string;
  name?: string;
  cached?: boolean;
  completed?: boolean;
  error?: string;
}

type Field = [number, bigint | Uint8Array];

function varint(b: Uint8Array, at: number): [bigint, number] {
  let x = 0n;
  let shift = 0n;
  let i = at;
  for (;;) {
    const c = b[i++];
    if (c === undefined) throw new Error('truncated varint');
    x |= BigInt(c & 0x7f) << shift;
    shift += 7n;
    if ((c & 0x80) === 0) return [x, i];
  }
}

/** The fields of one protobuf message (wire types 0, 1, 2, 5: all a StatusResponse uses). */
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  while (i < b.length) {
    const [tag, next] = varint(b, i);
    i = next;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, n] = varint(b, i);
      out.push([field, v]);
      i = n;
    } else if (wire === 2) {
      const [len, n] = varint(b, i);
      out.push([field, b.subarray(n, n + Number(len))]);
      i = n + Number(len);
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      out.push([field, b.subarray(i, i + size)]);
      i += size;
    } else {
      throw new Error(`protobuf wire type ${wire} is not expected in a StatusResponse`);
    }
  }
  return out;
}

const text = (v: bigint | Uint8Array) => Buffer.from(v as Uint8Array).toString('utf8');

/**
 * Collects BuildKit's vertices from dockerd's build stream: each `moby.buildkit.trace` line's `aux` is a base64
 * protobuf `moby.buildkit.v1.StatusResponse` (api/services/control/control.proto): field 1 repeats `Vertex`
 * {1 digest, 3 name, 4 cached, 6 completed (a Timestamp), 7 error}. Later updates of a vertex merge into it.
 */
export function buildkitVertices(): {
  onMessage: (m: Record<string, unknown>) => void;
  vertices: () => BuildkitVertex[];
} {
  const byDigest = new Map<string, BuildkitVertex>();
  return {
    onMessage(m) {
      if (m.id !== 'moby.buildkit.trace' || typeof m.aux !== 'string') return;
      for (const [f, v] of fields(Buffer.from(m.aux, 'base64'))) {
        if (f !== 1 || typeof v === 'bigint') continue;
        const vx: BuildkitVertex = { digest: '' };
        for (const [g, w] of fields(v)) {
          if (g === 1) vx.digest = text(w);
          else if (g === 3) vx.name = text(w);
          else if (g === 4) vx.cached = w !== 0n;
          else if (g === 6) vx.completed = true;
          else if (g === 7) vx.error = text(w);
        }
        const seen = byDigest.get(vx.digest) ?? { digest: vx.digest };
        byDigest.set(vx.digest, {
          ...seen,
          ...Object.fromEntries(Object.entries(vx).filter(([, x]) => x !== undefined)),
        });
      }
    },
    vertices: () => [...byDigest.values()],
  };
}
