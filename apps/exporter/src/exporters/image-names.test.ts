import { type Digest, digestOf } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import type { ExportSource } from '../plugin/types.js';
import { imageNaming, recordNames } from './image-names.js';

const digest = digestOf(new TextEncoder().encode('root manifest')) as Digest;
const source = (imageName?: string): ExportSource => ({
  metadata: imageName === undefined ? {} : { 'image.name': new TextEncoder().encode(imageName) },
  provider: { info: async () => Promise.reject(new Error('unused')), read: () => (async function* () {})() },
});

// BuildKit's exporter/containerimage/export.go decides the names this way; each case is one of its branches.
describe('imageNaming', () => {
  it('a name is kept, and name-canonical with it', () => {
    // the source's image.name counts only for name=*
    expect(
      imageNaming({ targetName: 'a:1', danglingPrefix: '', nameCanonical: false }, source('b:2'), digest)
        .targetName,
    ).toBe('a:1');
    expect(
      imageNaming({ targetName: 'a:1', danglingPrefix: 'dangling', nameCanonical: true }, source(), digest),
    ).toEqual({ targetName: 'a:1', nameCanonical: true });
    expect(
      imageNaming({ targetName: 'a:1', danglingPrefix: '', nameCanonical: false }, source(), digest),
    ).toEqual({
      targetName: 'a:1',
      nameCanonical: false,
    });
  });

  it('name=* takes the source metadata image.name; without it, * stays', () => {
    expect(
      imageNaming({ targetName: '*', danglingPrefix: '', nameCanonical: false }, source('b:2'), digest),
    ).toEqual({
      targetName: 'b:2',
      nameCanonical: false,
    });
    expect(
      imageNaming({ targetName: '*', danglingPrefix: '', nameCanonical: false }, source(), digest),
    ).toEqual({
      targetName: '*',
      nameCanonical: false,
    });
  });

  it('no name and a dangling prefix: PREFIX@DIGEST, and name-canonical is turned off', () => {
    expect(
      imageNaming({ targetName: '', danglingPrefix: 'dangling', nameCanonical: true }, source(), digest),
    ).toEqual({ targetName: `dangling@${digest}`, nameCanonical: false });
  });

  it('no name and no prefix: no name, name-canonical as asked', () => {
    expect(
      imageNaming({ targetName: '', danglingPrefix: '', nameCanonical: true }, source(), digest),
    ).toEqual({
      targetName: '',
      nameCanonical: true,
    });
  });
});

describe('recordNames', () => {
  it('one record, or with name-canonical also NAME@DIGEST', () => {
    expect(recordNames('a:1', digest, false)).toEqual(['a:1']);
    expect(recordNames('a:1', digest, true)).toEqual(['a:1', `a:1@${digest}`]);
  });
});
