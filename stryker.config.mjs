// @ts-check
/**
 * Mutation testing of lib/ with StrykerJS: `npm run mutate` (not part of CI; see the
 * README's Development section). Reports: reports/mutation/ (HTML, JSON); the incremental
 * file reports/stryker-incremental.json makes a later run re-test only the mutants whose
 * code or tests changed (`npm run mutate -- --force` re-tests everything).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  // lib/index.ts only re-exports.
  mutate: ['lib/**/*.ts', '!lib/index.ts'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.stryker.config.js',
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  // Mutants in module-level code run under every test; skip them rather than run all.
  ignoreStatic: true,
  // One test process: this is a 2-core machine that others use too (`--concurrency 2` when idle).
  concurrency: 1,
  // Real loopback servers and fault tests that wait on timeouts: a mutant's run may take a
  // while longer than the same tests took unmutated, under a busy machine's load.
  timeoutMS: 15000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['/dist', '/docs', '/bench', '/consumers', '/coverage', '/reports'],
  thresholds: { high: 85, low: 75, break: null },
};
