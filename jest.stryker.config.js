/**
 * Jest for StrykerJS (`npm run mutate`, stryker.config.mjs) only; `npm test` uses jest.config.js.
 *
 * One project, the current axios: the axios 1.6.0 project of jest.config.js runs the same
 * tests again, which would double the time of every mutant and kill nothing more.
 *
 * Left out, measured one by one with a normal run (`jest --json`, current axios, one worker):
 * - fleet.test.ts (~170 s) and module-formats.test.ts (7 s) run the built dist/, which
 *   Stryker never mutates, in child processes: they can kill no mutant;
 * - process-exit.test.ts (10 s) runs child processes too;
 * - outage.test.ts (34 s, two 10 s outages) and properties.test.ts (22 s, fast-check)
 *   are long runs of paths the other tests already cover one by one;
 * - oidc-provider-interop.test.ts checks interoperability with a third-party server,
 *   not logic of its own;
 * - leak-scan.test.ts (38 s; 70 s under Stryker's instrumentation) drives every failure
 *   mode with requests in flight and looks for secrets and sockets left behind: it covers
 *   nearly every line, so it ran in full for every surviving mutant, half of that run's
 *   time. The leak tests of each area stay (client-auth-leaks, grant-leaks,
 *   transport-leaks, secrets, scrubbing).
 * Everything else that tests lib/ stays, the slow ones too (redis-store, token-retry,
 * cooldown): they are the only tests of some of its paths.
 */
const path = require('node:path');
const tsconfig = require('./tsconfig.json');

/** @type {import('jest').Config} */
module.exports = {
  displayName: 'axios (current), for Stryker',
  // Absolute paths: Stryker reads testEnvironment before Jest would expand <rootDir>.
  // Node's environment with a bail, and failed-then-small files first: see each file.
  testEnvironment: path.join(__dirname, 'jest.stryker.environment.js'),
  testSequencer: path.join(__dirname, 'jest.stryker.sequencer.js'),
  // One file at a time, and none after a mutant is killed: see the file.
  runner: path.join(__dirname, 'jest.stryker.runner.js'),
  // lib/ too: Stryker runs each mutant with --findRelatedTests, which follows imports only
  // through files under the roots (a test imports lib/index.ts, which imports the rest).
  roots: ['<rootDir>/__tests__', '<rootDir>/lib'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/__tests__/fleet\\.test\\.ts$',
    '/__tests__/module-formats\\.test\\.ts$',
    '/__tests__/process-exit\\.test\\.ts$',
    '/__tests__/outage\\.test\\.ts$',
    '/__tests__/properties\\.test\\.ts$',
    '/__tests__/oidc-provider-interop\\.test\\.ts$',
    '/__tests__/leak-scan\\.test\\.ts$',
  ],
  transform: {
    // Transpile only (isolatedModules): `npm test` type-checks the tests; here a mutant
    // run must not pay for the type checker. Stryker adds @ts-nocheck to lib/ anyway.
    '^.+\\.ts$': ['ts-jest', { tsconfig: { ...tsconfig.compilerOptions, isolatedModules: true } }],
  },
  // Real-server tests bind 127.0.0.1 ports and fault tests wait on timeouts.
  testTimeout: 20000,
};
