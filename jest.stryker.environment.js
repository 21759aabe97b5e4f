/**
 * The test environment of jest.stryker.config.js (StrykerJS only): Node's, plus two things
 * that make a mutant's run short.
 *
 * - A bail. Jest cannot bail programmatically (Stryker sets `bail: false`), so every test
 *   that covers a mutant would run even after one failed and the mutant is killed. Here,
 *   once a test (or a hook) fails while a mutant is active, every later test of that run is
 *   skipped, and so are the hooks of describe blocks left without a test (no server is
 *   started for nothing).
 * - Which file holds which test. Stryker picks a mutant's tests by name (testNamePattern),
 *   and Jest loads every related test file to look for them: with every test importing all
 *   of lib/, that is all the files for every mutant. During Stryker's dry run, each test's
 *   name and file is recorded (in memory and in the sandbox's .stryker-test-files.json), so
 *   that jest.stryker.sequencer.js can run only the files that hold a mutant's tests.
 *
 * - A time limit per test. The tests that took longer than STRYKER_SLOW_TEST_MS (500 ms by
 *   default) in the dry run are the real-time waits: cooldowns, Retry-After, Redis stopped
 *   and frozen, servers that trickle. Every mutant their coverage reaches (nearly all of
 *   lib/) would wait for them again, and a surviving one for all of them: a minute and more
 *   per mutant on two cores. They are recorded (.stryker-slow-tests.json) and skipped while
 *   a mutant is active, so a mutant that only they would kill counts as survived: the
 *   scores are lower bounds. `STRYKER_SLOW_TEST_MS=0` runs them all.
 *
 * Without an active mutant nothing is ever skipped; outside Stryker nothing is recorded.
 */
const fs = require('node:fs');
const path = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

// Kept on `process`: the one object that every test file's environment and the sequencer
// share (Stryker runs Jest in band, in its test runner process).
const BAILED = Symbol.for('axios-client-credentials.stryker.bailed-mutant');
const TEST_FILES = Symbol.for('axios-client-credentials.stryker.test-files');
const TEST_FILES_JSON = '.stryker-test-files.json';
const SLOW_TESTS = Symbol.for('axios-client-credentials.stryker.slow-tests');
const SLOW_TESTS_JSON = '.stryker-slow-tests.json';
const SLOW_TEST_MS = Number(process.env.STRYKER_SLOW_TEST_MS ?? 500);

function activeMutant() {
  return process.env.__STRYKER_ACTIVE_MUTANT__;
}

function bailed() {
  const mutant = activeMutant();
  return mutant !== undefined && process[BAILED] === mutant;
}

function skipAll(describeBlock) {
  for (const child of describeBlock.children) {
    if (child.type === 'test') child.mode = 'skip';
    else skipAll(child);
  }
}

/** A test's name as Jest matches testNamePattern against it, and as Stryker names it. */
function fullName(test) {
  const names = [];
  for (let block = test; block !== undefined && block.parent !== undefined; block = block.parent) names.unshift(block.name);
  return names.join(' ').trim();
}

class StrykerNodeEnvironment extends TestEnvironment {
  #testPath;
  #rootDir;
  #recorded = false;
  #slowRecorded = false;

  constructor(config, context) {
    super(config, context);
    this.#testPath = context.testPath;
    this.#rootDir = config.projectConfig.rootDir;
  }

  async handleTestEvent(event) {
    switch (event.name) {
      case 'run_describe_start':
        if (bailed()) skipAll(event.describeBlock);
        break;
      case 'test_start':
        if (bailed() || (activeMutant() !== undefined && this.#isSlow(event.test))) event.test.mode = 'skip';
        else if (activeMutant() === undefined && this.global.__stryker__ !== undefined) this.#record(event.test);
        break;
      case 'test_done':
        if (event.test.errors.length > 0 && activeMutant() !== undefined) process[BAILED] = activeMutant();
        else if (activeMutant() === undefined && this.global.__stryker__ !== undefined) this.#recordDuration(event.test);
        break;
      case 'hook_failure':
        if (activeMutant() !== undefined) process[BAILED] = activeMutant();
        break;
      default:
        break;
    }
  }

  #record(test) {
    process[TEST_FILES] ??= {};
    process[TEST_FILES][fullName(test)] = [...new Set([...(process[TEST_FILES][fullName(test)] ?? []), this.#testPath])];
    this.#recorded = true;
  }

  #recordDuration(test) {
    if (SLOW_TEST_MS <= 0 || (test.duration ?? 0) <= SLOW_TEST_MS) return;
    process[SLOW_TESTS] ??= [];
    process[SLOW_TESTS].push(fullName(test));
    this.#slowRecorded = true;
  }

  /** Read from this process's dry run, or from the file it left for the other test runner processes. */
  #isSlow(test) {
    if (SLOW_TEST_MS <= 0) return false;
    if (!(process[SLOW_TESTS] instanceof Set)) {
      let names = process[SLOW_TESTS];
      if (names === undefined) {
        try {
          names = JSON.parse(fs.readFileSync(path.join(this.#rootDir, SLOW_TESTS_JSON), 'utf8'));
        } catch {
          names = [];
        }
      }
      process[SLOW_TESTS] = new Set(names);
    }
    return process[SLOW_TESTS].has(fullName(test));
  }

  async teardown() {
    if (this.#recorded) fs.writeFileSync(path.join(this.#rootDir, TEST_FILES_JSON), JSON.stringify(process[TEST_FILES]));
    if (this.#slowRecorded) fs.writeFileSync(path.join(this.#rootDir, SLOW_TESTS_JSON), JSON.stringify([...process[SLOW_TESTS]]));
    await super.teardown();
  }
}

module.exports = StrykerNodeEnvironment;
module.exports.TEST_FILES = TEST_FILES;
module.exports.TEST_FILES_JSON = TEST_FILES_JSON;
module.exports.bailed = bailed;
