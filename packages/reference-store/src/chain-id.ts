import { type Digest, digestOf } from '@lading/digest';

/**
 * ChainIDs as the image spec defines them: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
 * DiffID(Ln)). Returns the chain ID of every prefix of the stack.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : digestOf(`${prev} ${d}`));
  }
  return out;
}

export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}
