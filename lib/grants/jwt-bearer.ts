import { assertionEncodings, credentialEncodings } from '../client-auth';
import { assertionFrom, type AssertionSource } from '../assertion-source';
import { GrantAssertionError } from '../errors';
import type { GrantParameters } from './types';

/** RFC 7523 §2.1. */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The assertion of the jwt-bearer grant: the JWT itself, or a function (sync or async)
 * asked for one before every token request.
 */
export type { AssertionSource };

/**
 * `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1): a JWT issued by someone
 * the server trusts, sent as `assertion`. A function source is called for every token
 * request (a JWT is short-lived and servers may refuse a reused `jti`); what it returns
 * is checked before anything is sent.
 */
export function jwtBearerGrant(source: AssertionSource): GrantParameters {
  return async (body) => {
    body.append('assertion', await assertionFrom(source, fail, { option: 'assertion', expected: 'the JWT' }));
  };
}

function fail(problem: string, options?: { cause?: unknown }): GrantAssertionError {
  return new GrantAssertionError(problem, options);
}

/**
 * One request's assertion in every form a server could echo it in: the forms of a client
 * assertion (whole, form- and URI-encoded, its signature part) and those of the client
 * secret (JSON-escaped, lower-case hex, base64, base64url), since an assertion function
 * may return any string.
 */
export function grantAssertionEncodings(assertion: string): string[] {
  return [...assertionEncodings(assertion), ...credentialEncodings('', assertion)];
}
