import { InvalidOptionsError } from '../errors';
import type { OAuth2Options } from '../options';
import { CLIENT_CREDENTIALS } from './client-credentials';
import { JWT_BEARER, type AssertionSource } from './jwt-bearer';
import { PASSWORD } from './password';

/** The grant used to obtain tokens: RFC 6749 §4.4 (default), §4.3, or RFC 7523 §2.1. */
/**
 * The grant of option `grantType`: client credentials (RFC 6749 §4.4), resource owner
 * password (RFC 6749 §4.3), or a JWT assertion (RFC 7523 §2.1).
 */
export type GrantType = 'client_credentials' | 'password' | 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The grant of a handle, checked: one shape per grant, with exactly what it sends. */
export type ResolvedGrant =
  | { type: typeof CLIENT_CREDENTIALS }
  | { type: typeof PASSWORD; username: string; password: string }
  | { type: typeof JWT_BEARER; assertion: AssertionSource };

export const GRANT_TYPES: readonly GrantType[] = [CLIENT_CREDENTIALS, PASSWORD, JWT_BEARER];

type GrantOptions = Pick<OAuth2Options, 'grantType' | 'username' | 'password' | 'assertion'>;

/**
 * Checks the options of the grant together: each grant gets what it needs and nothing it
 * would ignore (`username` and `password` only with `'password'`, `assertion` only with
 * jwt-bearer). Never quotes a username, a password or an assertion.
 */
export function resolveGrant(options: GrantOptions): ResolvedGrant {
  const type = resolveGrantType(options.grantType);
  if (type === PASSWORD) {
    refuse(options, 'assertion', `only used with grantType '${JWT_BEARER}'; it is 'password'`);
    return { type, username: requireText('username', options.username), password: requireText('password', options.password) };
  }
  refuse(options, 'username', `only used with grantType 'password'; it is '${type}'`);
  refuse(
    options,
    'password',
    `only used with grantType 'password' (the user's password); it is '${type}'. The client's own secret is clientSecret`,
  );
  if (type === JWT_BEARER) return { type, assertion: assertionSource(options.assertion) };
  refuse(
    options,
    'assertion',
    `only used with grantType '${JWT_BEARER}'; it is '${type}' (a client assertion signed elsewhere is clientAssertion)`,
  );
  return { type };
}

function resolveGrantType(value: unknown): GrantType {
  if (value === undefined) return CLIENT_CREDENTIALS;
  if (GRANT_TYPES.includes(value as GrantType)) return value as GrantType;
  const got = typeof value === 'string' ? JSON.stringify(value) : `a ${value === null ? 'null' : typeof value}`;
  throw new InvalidOptionsError('grantType', `expected one of ${GRANT_TYPES.map((g) => `'${g}'`).join(', ')}; got ${got}`);
}

function refuse(options: GrantOptions, name: keyof GrantOptions, problem: string): void {
  if (options[name] !== undefined) throw new InvalidOptionsError(name, problem);
}

function requireText(name: 'username' | 'password', value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionsError(name, `required with grantType 'password'; expected a non-empty string; got ${whatIs(value)}`);
  }
  // A lone surrogate has no UTF-8 encoding, so it could never authenticate.
  if (!/^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(value)) {
    throw new InvalidOptionsError(name, 'contains a lone UTF-16 surrogate, which has no UTF-8 encoding');
  }
  return value;
}

function assertionSource(value: unknown): AssertionSource {
  if (typeof value === 'function') return value as AssertionSource;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new InvalidOptionsError(
    'assertion',
    `required with grantType '${JWT_BEARER}'; expected the JWT as a non-empty string, or a function returning one; got ${whatIs(value)}`,
  );
}

/** What a bad value is, never the value: it may be a credential. */
function whatIs(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return 'an empty string';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
