// Mutation testing of the guards issue 20 names: `pnpm mutate` (all), `LADING_MUTATE=archive-extract pnpm mutate`
// (some). On demand only: not in CI, not in `pnpm test`. Build first (`pnpm build`): tests import other packages'
// dist. See the root README, "Mutation testing".
import { selectedGuards } from './tools/mutate/guards.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'tools/mutate/vitest.config.mjs' },
  mutate: [...new Set(selectedGuards().flatMap((g) => g.mutate()))],
  // In place: the workspace's packages resolve each other through their own node_modules links, which a sandbox
  // copy would not have. Stryker puts every file back when it ends (also on Ctrl-C).
  inPlace: true,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 100, low: 100, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
