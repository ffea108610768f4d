import type { Type } from 'protobufjs';
import { definitions } from './definitions.js';

/** Encodes and decodes one message type; decoded messages are plain objects with proto3 defaults filled in. */
export interface Codec {
  encode(value: object): Buffer;
  decode(bytes: Buffer): Record<string, unknown>;
}

let root: Promise<Map<string, Codec>> | undefined;

// protobufjs loads only when containerd is used: `lading --version` and every other path never pay for it.
async function buildCodecs(): Promise<Map<string, Codec>> {
  const protobuf = (await import('protobufjs')).default;
  const r = protobuf.Root.fromJSON(definitions as unknown as protobuf.INamespace);
  const codecs = new Map<string, Codec>();
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) codecs.set(nested.fullName.slice(1), codecOf(nested));
      if (nested instanceof protobuf.Namespace) visit(nested);
    }
  };
  visit(r);
  return codecs;
}

function codecOf(type: Type): Codec {
  const toObject = { longs: Number, defaults: true, arrays: true, objects: true } as const;
  return {
    encode: (value) => {
      const bytes = type.encode(type.fromObject(value)).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode: (bytes) => type.toObject(type.decode(bytes), toObject),
  };
}

/** The codecs of the messages in definitions.ts, keyed by fully qualified name (without the leading dot). */
export function loadCodecs(): Promise<Map<string, Codec>> {
  root ??= buildCodecs();
  return root;
}
