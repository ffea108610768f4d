import { describe, expect, it } from 'vitest';
import { layoutEntriesNamed } from './layout-names.js';

const entry = (refName: string | undefined, imageName: string | undefined, id: string) => ({
  id,
  annotations: {
    ...(refName !== undefined ? { 'org.opencontainers.image.ref.name': refName } : {}),
    ...(imageName !== undefined ? { 'io.containerd.image.name': imageName } : {}),
  },
});

describe('layoutEntriesNamed', () => {
  const buildkit = entry('latest', 'docker.io/library/hello:latest', 'hello');
  const other = entry('1', 'registry.example/team/app:1', 'app');

  it('matches the ref name as skopeo does', () => {
    expect(layoutEntriesNamed([buildkit, other], 'latest').map((e) => e.id)).toEqual(['hello']);
    expect(layoutEntriesNamed([buildkit, other], '1').map((e) => e.id)).toEqual(['app']);
  });

  it('finds a BuildKit-named entry by the name it was exported as, normalised as Docker does', () => {
    for (const ref of ['hello', 'hello:latest', 'library/hello', 'docker.io/library/hello:latest']) {
      expect(layoutEntriesNamed([buildkit, other], ref).map((e) => e.id)).toEqual(['hello']);
    }
    expect(layoutEntriesNamed([buildkit, other], 'registry.example/team/app:1').map((e) => e.id)).toEqual([
      'app',
    ]);
  });

  it('prefers an exact ref name, and matches nothing for another tag or a name that is not one', () => {
    const literal = entry('hello', undefined, 'literal');
    expect(layoutEntriesNamed([buildkit, literal], 'hello').map((e) => e.id)).toEqual(['literal']);
    expect(layoutEntriesNamed([buildkit], 'hello:2')).toEqual([]);
    expect(layoutEntriesNamed([buildkit], 'Not/A:Name!')).toEqual([]);
    expect(layoutEntriesNamed([entry(undefined, undefined, 'bare')], 'hello')).toEqual([]);
  });
});
