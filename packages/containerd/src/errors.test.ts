import { exitCodeFor, IntegrityError, InvalidInputError, NotFoundError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ContainerdError, fromGrpcError } from './errors.js';

const grpc = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details });
const at = { what: 'doing it', address: '/run/x.sock' };

describe('fromGrpcError', () => {
  it('maps containerd’s errdefs codes to typed errors and the CLI’s exit codes', () => {
    const cases: [number, string, unknown, number][] = [
      [5, 'content digest sha256:x: not found', NotFoundError, 4],
      [6, 'image "a": already exists', AlreadyExistsError, 3],
      [3, 'namespace "a/b": invalid', InvalidInputError, 3],
      [9, 'failed precondition', InvalidInputError, 3],
      [14, 'connection refused', ContainerdError, 5],
      [13, 'boom', ContainerdError, 5],
      [15, 'wrote 3 of 4 bytes', IntegrityError, 6],
    ];
    for (const [code, details, kind, exit] of cases) {
      const e = fromGrpcError(grpc(code, details), at);
      expect(e).toBeInstanceOf(kind as never);
      expect(exitCodeFor(e)).toBe(exit);
      expect(e.message).toContain(details);
    }
  });

  it('names the address when containerd is unavailable, and knows a locked ingest', () => {
    const e = fromGrpcError(grpc(14, 'No connection established'), at);
    expect(e).toMatchObject({ code: 'CONTAINERD_UNAVAILABLE', address: '/run/x.sock' });
    expect(e.message).toContain('/run/x.sock');
    expect(
      fromGrpcError(grpc(14, 'ref default/1/x locked for 1s (since ...): unavailable'), at),
    ).toMatchObject({
      code: 'INGEST_LOCKED',
    });
  });
});
