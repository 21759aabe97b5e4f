/**
 * The test files of a mutant's run, and their order (jest.stryker.config.js, StrykerJS only).
 *
 * - Only the files that hold a test the mutant's run asks for (Stryker's testNamePattern),
 *   by the names jest.stryker.environment.js recorded during the dry run; every related
 *   file when there is no such record.
 * - With the bail of jest.stryker.environment.js, a run ends at its first failing test, so
 *   the files most likely to fail quickly go first: those that failed in the previous run
 *   (the mutant before is usually a neighbour), then the smaller ones, which run faster.
 *   Jest's own order (slowest first) suits a full run on many workers, not this.
 */
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const { TEST_FILES, TEST_FILES_JSON } = require('./jest.stryker.environment.js');

class StrykerSequencer extends Sequencer {
  #globalConfig;

  constructor(options) {
    super(options);
    this.#globalConfig = options.globalConfig;
  }

  sort(tests) {
    const size = (test) => {
      try {
        return fs.statSync(test.path).size;
      } catch {
        return Number.MAX_SAFE_INTEGER;
      }
    };
    return this.#onlyFilesOfTheRun(tests)
      .map((test) => ({ test, failed: this.hasFailed(test), size: size(test) }))
      .sort((a, b) => (a.failed === b.failed ? a.size - b.size : a.failed ? -1 : 1))
      .map(({ test }) => test);
  }

  #onlyFilesOfTheRun(tests) {
    const pattern = this.#globalConfig.testNamePattern;
    if (process.env.__STRYKER_ACTIVE_MUTANT__ === undefined || !pattern) return tests;
    const testFiles = process[TEST_FILES] ?? this.#readRecord();
    if (testFiles === undefined) return tests;
    const matcher = new RegExp(pattern, 'i');
    const wanted = new Set();
    for (const [name, files] of Object.entries(testFiles)) if (matcher.test(name)) for (const file of files) wanted.add(file);
    const kept = tests.filter((test) => wanted.has(test.path));
    return kept.length > 0 ? kept : tests;
  }

  #readRecord() {
    try {
      process[TEST_FILES] = JSON.parse(fs.readFileSync(path.join(this.#globalConfig.rootDir, TEST_FILES_JSON), 'utf8'));
      return process[TEST_FILES];
    } catch {
      return undefined;
    }
  }
}

module.exports = StrykerSequencer;
