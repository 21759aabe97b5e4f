import { InvalidOptionsError } from '../errors';
import type { OAuth2Options } from '../options';
import type { ClientAssertionSource } from './assertion-sources';
import { HMAC_ALGORITHMS, type HmacAlgorithm } from './client-secret-jwt';
import { CLIENT_AUTHENTICATION_JWT_TYPE, type AssertionSettings } from './jwt-assertion';
import { readPrivateKey, signingAlgorithmFor, type SigningKey } from './private-key-jwt';
import { privateKeyEncodings } from './secrets';
import { describeValue } from '../describe-value';

/**
 * How the client authenticates at the token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2,
 * OpenID Connect Core §9), or `'none'` (RFC 7591 §2), only with the jwt-bearer grant.
 */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';

/** The client authentication of a handle, checked: one shape per method. */
export type ResolvedClientAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | { method: 'client_secret_jwt'; clientSecret: string; assertion: AssertionSettings }
  | { method: 'private_key_jwt'; privateKey: SigningKey; assertion: AssertionSettings; keyEncodings: readonly string[] }
  | { method: 'private_key_jwt'; clientAssertion: ClientAssertionSource }
  | { method: 'none' };

/** What client authentication the grant allows. */
export interface GrantContext {
  /** The grant type, for messages. */
  grantType: string;
  /** Whether the grant works without client authentication (RFC 7523 §3.1: the jwt-bearer grant). */
  allowsNoClientAuth: boolean;
}

const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
];
/** Options that shape an assertion this library signs. */
const ASSERTION_OPTIONS = ['keyId', 'signingAlgorithm', 'assertionLifetime', 'assertionAudience', 'issuer'] as const;
const DEFAULT_ASSERTION_LIFETIME_SECONDS = 60;

type ClientAuthOptions = Pick<
  OAuth2Options,
  'tokenEndpointAuthMethod' | 'clientSecret' | 'privateKey' | 'clientAssertion' | (typeof ASSERTION_OPTIONS)[number]
>;

/**
 * Checks the options of client authentication together: each method gets what it needs
 * and nothing it would ignore. Every combination that cannot work (a key with a secret
 * method, a secret with `private_key_jwt`, an HMAC algorithm with a private key, ...) is
 * an InvalidOptionsError naming the option to add or remove.
 */
export function resolveClientAuth(options: ClientAuthOptions, tokenEndpoint: string, grant: GrantContext): ResolvedClientAuth {
  const method = resolveMethod(options, grant);
  if (method === 'none') {
    if (!grant.allowsNoClientAuth) {
      throw new InvalidOptionsError(
        'tokenEndpointAuthMethod',
        `'none' (no client authentication) only works with grantType 'urn:ietf:params:oauth:grant-type:jwt-bearer' (RFC 7523 §3.1); grantType '${grant.grantType}' needs the client to authenticate`,
      );
    }
    refuse(
      options,
      ['clientSecret', 'privateKey', 'clientAssertion'],
      "not used with tokenEndpointAuthMethod 'none' (no client authentication); remove it, or choose the method that uses it",
    );
    refuse(options, ASSERTION_OPTIONS, "only used with tokenEndpointAuthMethod 'client_secret_jwt' or 'private_key_jwt'; it is 'none'");
    return { method };
  }
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    refuse(options, ['privateKey', 'clientAssertion'], `only used with tokenEndpointAuthMethod 'private_key_jwt'; it is '${method}'`);
    refuse(
      options,
      ASSERTION_OPTIONS,
      `only used with tokenEndpointAuthMethod 'client_secret_jwt' or 'private_key_jwt'; it is '${method}'`,
    );
    return { method, clientSecret: requireSecret(options.clientSecret, method) };
  }
  if (method === 'client_secret_jwt') {
    refuse(
      options,
      ['privateKey', 'clientAssertion'],
      "only used with tokenEndpointAuthMethod 'private_key_jwt'; 'client_secret_jwt' signs with clientSecret",
    );
    const clientSecret = requireSecret(options.clientSecret, method);
    const algorithm = hmacAlgorithm(options.signingAlgorithm);
    return { method, clientSecret, assertion: assertionSettings(options, tokenEndpoint, algorithm, options.keyId) };
  }
  if (options.clientAssertion !== undefined) {
    if (options.privateKey !== undefined) {
      throw new InvalidOptionsError(
        'clientAssertion',
        'conflicts with privateKey: give privateKey to have assertions signed here, or clientAssertion for one signed elsewhere, not both',
      );
    }
    refuse(options, ['clientSecret'], "not used by 'private_key_jwt' with clientAssertion; remove it");
    refuse(
      options,
      ASSERTION_OPTIONS,
      'only used when this library signs the assertion (privateKey or client_secret_jwt); a clientAssertion is signed elsewhere',
    );
    return { method, clientAssertion: assertionSource(options.clientAssertion) };
  }
  if (options.privateKey === undefined) {
    throw new InvalidOptionsError(
      'privateKey',
      "required with tokenEndpointAuthMethod 'private_key_jwt' (or clientAssertion, for an assertion signed elsewhere)",
    );
  }
  refuse(
    options,
    ['clientSecret'],
    "not used by 'private_key_jwt', which signs with privateKey; remove it (or use 'client_secret_jwt' to sign with the secret)",
  );
  const privateKey = readPrivateKey(options.privateKey);
  const algorithm = signingAlgorithmFor(privateKey, options.signingAlgorithm);
  const keyId = options.keyId ?? privateKey.jwkKeyId;
  const given = typeof options.privateKey === 'string' ? options.privateKey : undefined;
  return {
    method,
    privateKey,
    assertion: assertionSettings(options, tokenEndpoint, algorithm, keyId),
    keyEncodings: privateKeyEncodings(privateKey.key, given),
  };
}

/**
 * The method asked for. Without one: `'private_key_jwt'` for a clientAssertion; `'none'`
 * for a grant that allows it when no credential is given at all; else `'client_secret_basic'`.
 */
function resolveMethod(options: ClientAuthOptions, grant: GrantContext): TokenEndpointAuthMethod {
  const value: unknown = options.tokenEndpointAuthMethod;
  if (value === undefined) {
    if (options.clientAssertion !== undefined) return 'private_key_jwt';
    const hasCredential = options.clientSecret !== undefined || options.privateKey !== undefined;
    return grant.allowsNoClientAuth && !hasCredential ? 'none' : 'client_secret_basic';
  }
  if (!AUTH_METHODS.includes(value as TokenEndpointAuthMethod)) {
    const got = typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
    throw new InvalidOptionsError('tokenEndpointAuthMethod', `expected one of ${AUTH_METHODS.map((a) => `'${a}'`).join(', ')}; got ${got}`);
  }
  return value as TokenEndpointAuthMethod;
}

function refuse(options: ClientAuthOptions, names: readonly (keyof ClientAuthOptions)[], problem: string): void {
  for (const name of names) {
    if (options[name] !== undefined) throw new InvalidOptionsError(name, problem);
  }
}

function requireSecret(value: unknown, method: TokenEndpointAuthMethod): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionsError(
      'clientSecret',
      `required; expected a non-empty string (tokenEndpointAuthMethod '${method}' authenticates with it)`,
    );
  }
  // A lone surrogate has no UTF-8 encoding, so it could never authenticate.
  if (!/^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(value)) {
    throw new InvalidOptionsError('clientSecret', 'contains a lone UTF-16 surrogate, which has no UTF-8 encoding');
  }
  return value;
}

function hmacAlgorithm(value: unknown): HmacAlgorithm {
  if (value === undefined) return 'HS256';
  if (HMAC_ALGORITHMS.includes(value as HmacAlgorithm)) return value as HmacAlgorithm;
  const hint =
    typeof value === 'string' && /^(RS|PS|ES|Ed)/.test(value) ? " (asymmetric algorithms are for 'private_key_jwt' with privateKey)" : '';
  throw new InvalidOptionsError(
    'signingAlgorithm',
    `expected one of ${HMAC_ALGORITHMS.join(', ')} for 'client_secret_jwt'; got ${describeValue(value)}${hint}`,
  );
}

function assertionSettings(options: ClientAuthOptions, tokenEndpoint: string, algorithm: string, keyId: unknown): AssertionSettings {
  if (keyId !== undefined && (typeof keyId !== 'string' || keyId === '')) {
    throw new InvalidOptionsError('keyId', `expected a non-empty string (the JWS kid); got ${describeValue(keyId)}`);
  }
  const { audience, type } = resolveAudience(options.assertionAudience, options.issuer, tokenEndpoint);
  return { algorithm, keyId, type, audience, lifetimeSeconds: resolveLifetime(options.assertionLifetime) };
}

/**
 * `aud` of the assertion: the token endpoint URL (RFC 7523 §3, what most servers check);
 * the issuer identifier, with the explicit `typ` of draft-ietf-oauth-rfc7523bis, which
 * closes the audience confusion of the token endpoint URL; or a string given as is.
 */
function resolveAudience(audience: unknown, issuer: unknown, tokenEndpoint: string): { audience: string; type: string | undefined } {
  if (audience === 'issuer') {
    if (typeof issuer !== 'string' || issuer === '') {
      throw new InvalidOptionsError(
        'issuer',
        "required with assertionAudience 'issuer': the authorization server's issuer identifier (RFC 8414), e.g. 'https://auth.example.com'",
      );
    }
    return { audience: issuer, type: CLIENT_AUTHENTICATION_JWT_TYPE };
  }
  if (issuer !== undefined) {
    throw new InvalidOptionsError('issuer', "only used with assertionAudience 'issuer'; set that too, or remove issuer");
  }
  if (audience === undefined || audience === 'token-endpoint') return { audience: tokenEndpoint, type: undefined };
  if (typeof audience !== 'string' || audience === '') {
    throw new InvalidOptionsError(
      'assertionAudience',
      `expected 'token-endpoint', 'issuer' or the audience as a non-empty string; got ${describeValue(audience)}`,
    );
  }
  return { audience, type: undefined };
}

function resolveLifetime(value: unknown): number {
  if (value === undefined) return DEFAULT_ASSERTION_LIFETIME_SECONDS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionsError('assertionLifetime', `expected a positive whole number of seconds; got ${describeValue(value)}`);
  }
  return value;
}

function assertionSource(value: unknown): ClientAssertionSource {
  if (typeof value === 'function') return value as ClientAssertionSource;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  // Never echo it: a wrong-typed assertion may still be a credential.
  throw new InvalidOptionsError(
    'clientAssertion',
    `expected the assertion as a non-empty string, or a function returning one (e.g. clientAssertionFromFile(path)); got ${typeof value === 'string' ? 'an empty string' : `a ${value === null ? 'null' : typeof value}`}`,
  );
}
