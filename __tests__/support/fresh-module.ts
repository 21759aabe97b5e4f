/**
 * Loads a fresh copy of a module of lib/ inside the running test, by a function that
 * `require`s it (Jest resolves the path from the caller).
 *
 * Module-level constants (the patterns of response.ts, the code lists of retry-policy.ts)
 * are evaluated when a module loads, and a test file loads lib/ before its first test
 * runs. A test that checks them through a copy loaded in its own body is the one a
 * per-test coverage tool (StrykerJS, `npm run mutate`) sees covering them; otherwise a
 * mutant of such a constant is measured against no test that looks at it.
 */
export function freshModule(load: () => unknown): unknown {
  let loaded: unknown;
  jest.isolateModules(() => {
    loaded = load();
  });
  return loaded;
}
