/**
 * Every test runs twice: against the axios this project develops with, and against the
 * lowest axios of the peer range (1.6.0, the devDependency `axios-lowest`), to which
 * every `import 'axios'`, the library's and the tests', is mapped.
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Real-server tests bind 127.0.0.1 ports and fault tests wait on timeouts.
  testTimeout: 20000,
  projects: [
    { ...shared, displayName: 'axios (current)' },
    {
      ...shared,
      displayName: 'axios 1.6.0 (lowest supported)',
      moduleNameMapper: { '^axios$': '<rootDir>/node_modules/axios-lowest/dist/node/axios.cjs' },
    },
  ],
};
