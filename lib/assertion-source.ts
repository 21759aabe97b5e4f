import { OAuth2Error } from './errors';

/** An assertion made elsewhere: the string itself, or a function (sync or async) asked for one each time. */
export type AssertionSource = string | (() => string | Promise<string>);

/** Builds the error for a source that failed: ClientAssertionError or GrantAssertionError. */
export type AssertionFailure = (problem: string, options?: { cause?: unknown }) => OAuth2Error;

/**
 * The assertion a source gives now, trimmed; checked before anything is sent. A function
 * that throws, or returns anything but a non-empty string, fails with `fail`, naming
 * `what` it was asked for; the library's own errors (a clientAssertionFromFile reader)
 * pass through as they are, since they already say what failed.
 */
export async function assertionFrom(
  source: AssertionSource,
  fail: AssertionFailure,
  what: { option: string; expected: string },
): Promise<string> {
  if (typeof source === 'string') return source;
  let assertion: unknown;
  try {
    assertion = await source();
  } catch (error) {
    if (error instanceof OAuth2Error) throw error;
    throw fail(`the ${what.option} function failed`, { cause: error });
  }
  if (typeof assertion !== 'string' || assertion.trim() === '') {
    const got =
      typeof assertion === 'string'
        ? 'an empty string'
        : assertion === undefined || assertion === null
          ? String(assertion)
          : `a ${typeof assertion}`;
    throw fail(`the ${what.option} function returned ${got}; expected ${what.expected} as a non-empty string`);
  }
  return assertion.trim();
}
