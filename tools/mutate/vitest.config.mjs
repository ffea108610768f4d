// The tests the mutation run executes: only those of the selected guards (see guards.mjs), from the repository root.
import { defineConfig } from 'vitest/config';
import { repoRoot, selectedGuards } from './guards.mjs';

export default defineConfig({
  root: repoRoot,
  test: {
    include: [...new Set(selectedGuards().flatMap((g) => g.tests))],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
