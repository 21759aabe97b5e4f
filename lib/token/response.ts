import { InvalidTokenResponseError, TokenEndpointError } from '../errors';
import type { Liveness } from './liveness';

/** A token as the token manager needs it: the value and, when the server said, how long it lives. */
export interface IssuedToken {
  accessToken: string;
  /** Lifetime from `expires_in`, in milliseconds; undefined when the response had no usable value. */
  lifetimeMs: number | undefined;
}

/** Performs one token request and returns what it issued, or throws. `liveness` says whether it may keep the process alive. */
export type FetchToken = (liveness: Liveness) => Promise<IssuedToken>;

/** The success body as the server sends it (RFC 6749 §5.1); every field is untrusted. */
interface TokenResponseBody {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
}

/** The error body as the server sends it (RFC 6749 §5.2). */
interface TokenErrorBody {
  error?: unknown;
  error_description?: unknown;
  error_uri?: unknown;
}

/** Couper's cap, and ours: a token is never cached for longer than a day, whatever `expires_in` claims. */
const MAX_LIFETIME_SECONDS = 86_400;
/** Server-provided text kept in an error is cut to this length. */
const MAX_FIELD_LENGTH = 1_000;
/**
 * A bearer token must fit an HTTP header and the RFC 6750 §2.1 credentials syntax:
 * visible ASCII, no spaces, no control characters (so no CR/LF header injection).
 */
const LEGAL_TOKEN = /^[\x21-\x7E]+$/;
const NUMERIC = /^\s*\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i;

/**
 * Turns a token endpoint response into an IssuedToken, or throws the error it stands for.
 * `scrub` cleans server text of our credentials before it goes into an error;
 * `retryAfter` is the response's `Retry-After` header, if any.
 */
export function processTokenResponse(
  status: number,
  rawBody: unknown,
  scrub: (text: string) => string = (text) => text,
  retryAfter?: unknown,
): IssuedToken {
  const body = parseJsonObject(rawBody);
  if (status !== 200) throw endpointError(status, body, scrub, status === 429 || status === 503 ? retryAfterMs(retryAfter) : undefined);
  if (body === undefined) throw new InvalidTokenResponseError(status, 'the body is not a JSON object');
  return {
    accessToken: validAccessToken(status, body, scrub),
    lifetimeMs: lifetimeMs(body.expires_in),
  };
}

function validAccessToken(status: number, body: TokenResponseBody, scrub: (text: string) => string): string {
  const { access_token: accessToken, token_type: tokenType } = body;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new InvalidTokenResponseError(status, 'access_token is missing, empty or not a string');
  }
  if (!LEGAL_TOKEN.test(accessToken)) {
    throw new InvalidTokenResponseError(
      status,
      'access_token contains characters not allowed in an HTTP header (controls, spaces or non-ASCII)',
    );
  }
  // RFC 6749 §5.1 makes token_type REQUIRED; RFC 6749 §7.1 makes its comparison case-insensitive.
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new InvalidTokenResponseError(
      status,
      `token_type must be "Bearer"; got ${describeTokenType(typeof tokenType === 'string' ? scrub(tokenType) : tokenType)}`,
    );
  }
  return accessToken;
}

/**
 * `expires_in` as a number of seconds, or a numeric string, greater than zero; capped at
 * one day, so even a value that overflows to Infinity (`1e400`) gives a day. Anything
 * else (absent, zero, negative, NaN, non-numeric) counts as "not given".
 */
function lifetimeMs(expiresIn: unknown): number | undefined {
  const seconds =
    typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' && NUMERIC.test(expiresIn) ? Number(expiresIn) : NaN;
  if (Number.isNaN(seconds) || seconds <= 0) return undefined;
  return Math.min(seconds, MAX_LIFETIME_SECONDS) * 1000;
}

function endpointError(
  status: number,
  body: TokenErrorBody | undefined,
  scrub: (text: string) => string,
  retryAfter: number | undefined,
): TokenEndpointError {
  // Scrub the raw text first: cutting it or replacing controls could split a secret.
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? printable(scrub(value)) : undefined);
  return new TokenEndpointError({
    status,
    error: text(body?.error),
    errorDescription: text(body?.error_description),
    errorUri: text(body?.error_uri),
    retryAfterMs: retryAfter,
  });
}

/** Longest Retry-After believed, so a typo on the server cannot park the client for years. */
const MAX_RETRY_AFTER_MS = 86_400_000;
const DELAY_SECONDS = /^\s*\d+\s*$/;
/**
 * The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, obsolete RFC 850 and asctime.
 * Only these go to Date.parse, which would also read "1.5" or "-5" as dates.
 */
const HTTP_DATE = [
  /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as milliseconds from
 * now (0 for a date already past); undefined when absent or unreadable.
 */
export function retryAfterMs(header: unknown, now: number = Date.now()): number | undefined {
  const value: unknown = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  let ms: number;
  if (DELAY_SECONDS.test(text)) ms = Number(text) * 1000;
  else {
    if (!HTTP_DATE.some((form) => form.test(text))) return undefined;
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function parseJsonObject(raw: unknown): Record<string, unknown> | undefined {
  let value = raw;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Server text made printable and short: it ends up in messages and logs. */
function printable(text: string): string {
  // Control characters are exactly what must go: a server's text must not forge log lines.
  // eslint-disable-next-line no-control-regex
  const visible = text.replace(/[\x00-\x1F\x7F]/g, ' ');
  return visible.length > MAX_FIELD_LENGTH ? `${visible.slice(0, MAX_FIELD_LENGTH)}…` : visible;
}

function describeTokenType(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
