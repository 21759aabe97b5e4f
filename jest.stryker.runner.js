/**
 * The test runner of jest.stryker.config.js (StrykerJS only): Jest's own, in band, one test
 * file at a time, so that once a mutant is killed (the bail of jest.stryker.environment.js)
 * the files left are not loaded at all. Skipping their tests is not enough: loading a file
 * (its imports, the instrumented lib/, axios, the test servers) costs about as much as
 * running its tests, and a mutant's tests are spread over dozens of files.
 *
 * Without an active mutant (the dry run), or when Jest runs in parallel, it is Jest's runner.
 */
const TestRunner = require('jest-runner').default;
const { bailed } = require('./jest.stryker.environment.js');

class BailingTestRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    if (!options.serial || process.env.__STRYKER_ACTIVE_MUTANT__ === undefined) return super.runTests(tests, watcher, options);
    for (const test of tests) {
      if (bailed()) return;
      await super.runTests([test], watcher, options);
    }
  }
}

module.exports = BailingTestRunner;
