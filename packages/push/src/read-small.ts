import { checkHash, type Descriptor, digestAlgorithm, digestOf, InvalidInputError } from '@lading/digest';
import { defaultMaxManifestBytes } from './manifest-io.js';

/** Reads a manifest-sized blob whole (capped) and checks it against its descriptor. */
export async function readSmall(
  source: AsyncIterable<Uint8Array>,
  desc: Descriptor,
  maxBytes = defaultMaxManifestBytes,
): Promise<Uint8Array> {
  if (desc.size > maxBytes) {
    throw new InvalidInputError(
      'MANIFEST_TOO_LARGE',
      `manifest ${desc.digest} is ${desc.size} bytes, over the ${maxBytes}-byte cap`,
    );
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of source) {
    n += chunk.byteLength;
    if (n > desc.size) break;
    parts.push(chunk);
  }
  const bytes = new Uint8Array(Buffer.concat(parts));
  checkHash(
    { digest: digestOf(bytes, digestAlgorithm(desc.digest)), size: n },
    desc,
    `manifest ${desc.digest}`,
  );
  return bytes;
}
