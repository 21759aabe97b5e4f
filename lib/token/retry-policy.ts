import {
  ClientAssertionError,
  GrantAssertionError,
  InvalidOptionsError,
  OAuth2Error,
  TokenEndpointError,
  TokenRequestError,
  TokenTimeoutError,
  type ErrorCode,
} from '../errors';

/** Option `tokenRetry`: how a token fetch survives a failing authorization server. Every field is optional. */
export interface TokenRetryOptions {
  /**
   * Extra attempts of one fetch after a transient failure (network error, timeout, 5xx,
   * 429). A non-negative integer; `0` sends each fetch once. Default `2`.
   */
  retries?: number;
  /**
   * Backoff before retry n (from 0) is a random delay between 0 and
   * `min(maxDelayMs, baseDelayMs × 2^n)` ("full jitter"). Milliseconds, default `200`.
   */
  baseDelayMs?: number;
  /** Longest backoff between two attempts, in milliseconds. Default `2000`. */
  maxDelayMs?: number;
  /**
   * How long a fetch keeps retrying, in milliseconds from its first attempt: no wait is
   * started that would end past it. The attempt then sent may take up to its own timeout
   * (`backend.timeout`, default 10 s), so a fetch lasts at most this plus one timeout.
   * Default `15000`.
   */
  budgetMs?: number;
  /**
   * Longest `Retry-After` honoured, in milliseconds: a longer one counts as this long.
   * Default `60000`.
   */
  maxRetryAfterMs?: number;
  /**
   * After a fetch fails for good, requests that need a token fail at once with its error
   * for this long, instead of each starting a token request; doubled after each further
   * failed fetch, up to `maxCooldownMs`, and at least the server's `Retry-After`. A
   * successful fetch resets it. `0` turns the cooldown off. Milliseconds, default `1000`.
   */
  cooldownMs?: number;
  /** Longest cooldown, in milliseconds. Default `30000`. */
  maxCooldownMs?: number;
}

/** `tokenRetry` resolved: every field set. */
export type RetryPolicy = Readonly<Required<TokenRetryOptions>>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 2,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  budgetMs: 15_000,
  maxRetryAfterMs: 60_000,
  cooldownMs: 1_000,
  maxCooldownMs: 30_000,
});

/** `tokenRetry: false`: every failure is final and nothing cools down, as before this option existed. */
export const NO_RETRY_POLICY: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY_POLICY, retries: 0, cooldownMs: 0 });

/** Checks option `tokenRetry` and fills in the defaults. */
export function resolveRetryPolicy(value: unknown): RetryPolicy {
  if (value === undefined || value === true) return DEFAULT_RETRY_POLICY;
  if (value === false) return NO_RETRY_POLICY;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError('tokenRetry', 'expected an object of settings, or false to turn retries and the cooldown off');
  }
  const given = value as Record<string, unknown>;
  const policy: Record<string, number> = {};
  for (const [name, fallback] of Object.entries(DEFAULT_RETRY_POLICY)) {
    const setting = given[name];
    policy[name] = setting === undefined ? fallback : checkedSetting(name, setting);
  }
  for (const name of Object.keys(given)) {
    if (!(name in DEFAULT_RETRY_POLICY)) {
      throw new InvalidOptionsError(
        `tokenRetry.${name}`,
        `unknown setting; expected one of ${Object.keys(DEFAULT_RETRY_POLICY).join(', ')}`,
      );
    }
  }
  if (policy.maxDelayMs < policy.baseDelayMs) {
    throw new InvalidOptionsError('tokenRetry.maxDelayMs', 'must not be less than tokenRetry.baseDelayMs');
  }
  if (policy.maxCooldownMs < policy.cooldownMs) {
    throw new InvalidOptionsError('tokenRetry.maxCooldownMs', 'must not be less than tokenRetry.cooldownMs');
  }
  return Object.freeze(policy) as unknown as RetryPolicy;
}

/** The longest delay a Node.js timer takes (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

function checkedSetting(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    const shown = typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : `a ${typeof value}`;
    throw new InvalidOptionsError(`tokenRetry.${name}`, `expected a non-negative integer of at most ${MAX_TIMER_MS}; got ${shown}`);
  }
  return value;
}

/**
 * The `error` values of RFC 6749 §5.2 that no retry can change: the client, grant or
 * scope is wrong until someone fixes the configuration.
 */
const PERMANENT_OAUTH_ERRORS = new Set([
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'invalid_scope',
  'unsupported_grant_type',
  'invalid_request',
]);

/** TLS failures that the same request meets again: a retry only repeats them. */
const PERMANENT_NETWORK_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  // TLS spoken to a port that does not (an http: server behind an https: URL): "wrong version number".
  'EPROTO',
  'ERR_INVALID_URL',
]);

/**
 * Whether another attempt could succeed: a network failure or timeout, a 5xx, a 429.
 * Anything else the server said (a 4xx, a 200 that is not a token) and anything that
 * failed before sending (an assertion that could not be made) is final.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TokenTimeoutError) return true;
  if (error instanceof TokenRequestError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return !(typeof code === 'string' && (PERMANENT_NETWORK_CODES.has(code) || code.startsWith('ERR_SSL_')));
  }
  if (error instanceof TokenEndpointError) {
    if (error.error !== undefined && PERMANENT_OAUTH_ERRORS.has(error.error)) return false;
    return error.status === 429 || error.status >= 500;
  }
  return false;
}

/**
 * How long the server asked us to stay away (RFC 9110 §10.2.3; RFC 6585 §4 for 429),
 * capped by the policy; undefined when it did not say.
 */
export function requestedWaitMs(error: unknown, policy: RetryPolicy): number | undefined {
  if (!(error instanceof TokenEndpointError) || error.retryAfterMs === undefined) return undefined;
  return Math.min(error.retryAfterMs, policy.maxRetryAfterMs);
}

/**
 * Whether a failure reached, or tried to reach, the authorization server: only those
 * start a cooldown, which exists to spare the server. An assertion that could not be
 * made sent nothing, and the next request should try to make it again at once.
 */
export function involvedTheServer(error: unknown): boolean {
  return error instanceof OAuth2Error && !(error instanceof ClientAssertionError) && !(error instanceof GrantAssertionError);
}

/** Backoff before retry `retry` (0 for the first): full jitter over an exponential ceiling. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The cooldown after the `streak`-th failed fetch in a row (from 1): doubling from
 * `cooldownMs` up to `maxCooldownMs`, and never shorter than the server's Retry-After.
 */
export function cooldownMs(policy: RetryPolicy, streak: number, serverWaitMs: number | undefined): number {
  if (policy.cooldownMs === 0) return 0;
  const grown = Math.min(policy.maxCooldownMs, policy.cooldownMs * 2 ** Math.min(streak - 1, 30));
  return Math.max(grown, serverWaitMs ?? 0);
}

/** The stable code of an error for events and metrics; `ERR_UNKNOWN` for a foreign one. */
export function errorCodeOf(error: unknown): ErrorCode | 'ERR_UNKNOWN' {
  return error instanceof OAuth2Error ? error.code : 'ERR_UNKNOWN';
}
