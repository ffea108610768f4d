import { resolve } from 'node:path';
import { parseImageReference } from '@lading/transports';
import { describe, expect, it } from 'vitest';
import { parseOciReference } from '../operations/base-image.js';
import { parseImageLocation } from './common.js';

// The CLI's locations and `--base` split oci:DIR:TAG at the last colon, lading-buildah at the first: now one parser.
// containers-transports(5) and containers/image's oci/layout ParseReference: the path ends at the first colon (on
// a non-Windows host), and what follows is the reference, which may itself hold colons.
describe('one oci:DIR[:TAG] parser', () => {
  it('the path ends at the first colon, everywhere', () => {
    expect(parseImageLocation('oci:out:repo:tag')).toEqual({
      kind: 'oci',
      dir: resolve('out'),
      tag: 'repo:tag',
    });
    expect(parseOciReference('oci:out:repo:tag')).toEqual({ dir: 'out', tag: 'repo:tag' });
    expect(parseImageReference('oci:out:repo:tag')).toMatchObject({ dir: 'out', ref: 'repo:tag' });
    expect(parseOciReference('oci:/srv/layout')).toEqual({ dir: '/srv/layout', tag: undefined });
    expect(parseImageLocation('oci:/srv/layout:v1')).toEqual({ kind: 'oci', dir: '/srv/layout', tag: 'v1' });
  });

  it('a tag outside the reference grammar, or an empty path: InvalidInputError, not a directory name', () => {
    expect(() => parseOciReference('oci:dir:bad tag')).toThrow(
      expect.objectContaining({ kind: 'invalid-input', code: 'TRANSPORT_BAD_OCI_REF' }),
    );
    expect(() => parseImageLocation('oci:')).toThrow(
      expect.objectContaining({ kind: 'invalid-input', code: 'TRANSPORT_EMPTY_PATH' }),
    );
  });
});
