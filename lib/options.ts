import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import type { ClientAssertionSource } from './client-auth/assertion-sources';
import type { HmacAlgorithm } from './client-auth/client-secret-jwt';
import { resolveClientAuth, type ResolvedClientAuth, type TokenEndpointAuthMethod } from './client-auth/options';
import type { AsymmetricAlgorithm, PrivateKeyInput } from './client-auth/private-key-jwt';
import { InvalidOptionsError } from './errors';
import { JWT_BEARER, resolveGrant, type AssertionSource, type GrantType, type ResolvedGrant } from './grants';
import { resolveLogger, type Logger } from './telemetry/logger';
import { resolveRetryPolicy, type RetryPolicy, type TokenRetryOptions } from './token/retry-policy';
import { resolveStore, type ResolvedStore } from './stores/options';
import type { TokenStore } from './stores/token-store';
import { describeValue } from './describe-value';

export type { TokenEndpointAuthMethod } from './client-auth/options';
export type { ClientAssertionSource } from './client-auth/assertion-sources';
export type { PrivateKeyInput, AsymmetricAlgorithm } from './client-auth/private-key-jwt';
export type { HmacAlgorithm } from './client-auth/client-secret-jwt';
export type { GrantType, AssertionSource } from './grants';
export type { Logger } from './telemetry/logger';
export type { TokenRetryOptions } from './token/retry-policy';
export type { TokenStore, TokenStoreSettings } from './stores/token-store';

/** The JWS algorithm of a client assertion: HS* for `client_secret_jwt`, the others for `private_key_jwt`. */
export type SigningAlgorithm = AsymmetricAlgorithm | HmacAlgorithm;

/** Options of `oauth2(instance, options)`. Each maps to an attribute of Couper's `oauth2` block. */
export interface OAuth2Options {
  /**
   * URL of the authorization server's token endpoint: absolute, `http:` or `https:`,
   * without a fragment (RFC 6749 §3.2). Required. Couper: `token_endpoint`.
   * @example 'https://auth.example.com/oauth2/token'
   */
  tokenEndpoint: string;
  /**
   * The client identifier (RFC 6749 §2.2). Required, except with the jwt-bearer grant
   * without client authentication (RFC 7523 §3.1), where it is sent as `client_id` in the
   * body when given. Couper: `client_id`.
   */
  clientId?: string;
  /**
   * The client password (RFC 6749 §2.3.1). Required with `'client_secret_basic'`,
   * `'client_secret_post'` and `'client_secret_jwt'` (where it is the HMAC key); refused
   * with `'private_key_jwt'`. Never logged, never in an error. Couper: `client_secret`.
   */
  clientSecret?: string;
  /**
   * Scopes to request (RFC 6749 §3.3): a space-separated string, or an array joined
   * with one space. Omitted from the token request when empty. Default: none.
   * Couper: `scope`.
   * @example ['invoices:read', 'invoices:write']
   */
  scope?: string | readonly string[];
  /**
   * How the client authenticates: `'client_secret_basic'` sends an HTTP Basic header
   * (id and secret form-urlencoded first, as RFC 6749 §2.3.1 requires);
   * `'client_secret_post'` sends both in the form body; `'client_secret_jwt'` and
   * `'private_key_jwt'` send a fresh JWT client assertion (RFC 7523 §2.2, OpenID Connect
   * Core §9) signed with `clientSecret` or `privateKey`, or the `clientAssertion` given.
   * `'none'`: no client authentication, only with the jwt-bearer grant (RFC 7523 §3.1).
   * Default `'client_secret_basic'`, or `'private_key_jwt'` when `clientAssertion` is set,
   * or `'none'` with the jwt-bearer grant when no `clientSecret`, `privateKey` or
   * `clientAssertion` is given. Couper: `token_endpoint_auth_method`.
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /**
   * `'private_key_jwt'`: the key that signs each client assertion. A PEM string (PKCS#8
   * `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`; not encrypted), a
   * private JWK object, or a private `KeyObject` (`crypto.createPrivateKey({ key, passphrase })`
   * for an encrypted one). RSA of at least 2048 bits, EC P-256/P-384/P-521, Ed25519.
   * The server holds the public half (registered JWK or JWKS URL). Never in an error.
   * @example fs.readFileSync('/etc/okta/private-key.pem', 'utf8')
   */
  privateKey?: PrivateKeyInput;
  /**
   * JWS `kid` of the assertion, naming the key among those the server has for the client
   * (Okta requires it once a client has several). Default: the JWK's `kid`, or none.
   */
  keyId?: string;
  /**
   * JWS `alg` of the assertion. `'private_key_jwt'`: default from the key (RS256 for RSA,
   * ES256/ES384/ES512 by curve, EdDSA for Ed25519) or the JWK's `alg`; any of RS256 to
   * PS512 for an RSA key; checked against the key by `oauth2()`. `'client_secret_jwt'`: HS256
   * (default), HS384 or HS512.
   */
  signingAlgorithm?: SigningAlgorithm;
  /** Seconds between the assertion's `iat` and `exp`: a positive integer, default 60. */
  assertionLifetime?: number;
  /**
   * `aud` of the assertion: `'token-endpoint'` (default: the token endpoint URL, what
   * Couper, Okta and Entra ID check), `'issuer'` (the `issuer` option, with JWS
   * `typ: client-authentication+jwt`, per draft-ietf-oauth-rfc7523bis), or any other
   * string, sent as is.
   */
  assertionAudience?: 'token-endpoint' | 'issuer' | (string & {});
  /**
   * The authorization server's issuer identifier (RFC 8414), e.g.
   * `'https://auth.example.com'`. Required with, and only used with,
   * `assertionAudience: 'issuer'`.
   */
  issuer?: string;
  /**
   * A client assertion signed elsewhere (a workload identity), sent with
   * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` under
   * `'private_key_jwt'`: the assertion itself, or a function (sync or async) called for
   * every token request, such as `clientAssertionFromFile(path)`. Never in an error.
   */
  clientAssertion?: ClientAssertionSource;
  /**
   * The grant: `'client_credentials'` (RFC 6749 §4.4, the client acts for itself),
   * `'password'` (RFC 6749 §4.3, with `username` and `password`), or
   * `'urn:ietf:params:oauth:grant-type:jwt-bearer'` (RFC 7523 §2.1, with `assertion`).
   * `scope` and `extraParams` are sent with each. Default `'client_credentials'`.
   * Couper: `grant_type`.
   * @example 'urn:ietf:params:oauth:grant-type:jwt-bearer'
   */
  grantType?: GrantType;
  /**
   * `grantType: 'password'` (RFC 6749 §4.3.2): the resource owner's username, sent as the
   * `username` form parameter. A non-empty string; required with, and only used with,
   * that grant. Default: none. Couper: `username`.
   * @example 'jdoe@example.com'
   */
  username?: string;
  /**
   * `grantType: 'password'` (RFC 6749 §4.3.2): the resource owner's password, sent as the
   * `password` form parameter. A non-empty string; required with, and only used with,
   * that grant (the client's own secret is `clientSecret`). Default: none. Scrubbed from
   * server text like the client secret; never in an error. Couper: `password`.
   * @example process.env.SERVICE_ACCOUNT_PASSWORD
   */
  password?: string;
  /**
   * `grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer'` (RFC 7523 §2.1): the JWT
   * sent as the `assertion` form parameter. A non-empty string, or a function (sync or
   * async) called for every token request, so each request gets a fresh JWT. Required
   * with, and only used with, that grant. Default: none. Never in an error.
   * Couper: `assertion`.
   * @example async () => signServiceAccountJwt({ aud: tokenEndpoint })
   */
  assertion?: AssertionSource;
  /**
   * How many times a request answered 401 by the resource is replayed, each time with
   * a freshly fetched token. `0` disables replay. A non-negative integer; default `1`.
   * Couper: `retries`.
   */
  retries?: number;
  /**
   * What sends the token request: an axios instance of your own (proxy, TLS agent,
   * interceptors), or a request config from which a private instance is made. It must
   * not be the instance being authorized. The token request times out after its
   * `timeout`, or 10 000 ms when that is unset or 0. Default: a private axios instance.
   * Couper: `backend`.
   */
  backend?: AxiosInstance | AxiosRequestConfig;
  /**
   * Origins that receive the bearer token, e.g. `['https://api.example.com']`, or `'*'`
   * for every origin. Default: the origin of the instance's `baseURL` when it has one,
   * otherwise every origin.
   */
  origins?: readonly string[] | '*';
  /**
   * Extra form parameters for the token request, such as `audience` or RFC 8707
   * `resource` (an array sends the parameter once per value). They cannot replace
   * `grant_type`, `scope`, `client_id`, `client_secret`, `client_assertion`,
   * `client_assertion_type`, `username`, `password` or `assertion`. Default: none.
   */
  extraParams?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Lifetime in seconds assumed for a token whose response has no usable `expires_in`.
   * Default: unset, which keeps such a token until the resource answers 401.
   */
  defaultLifetime?: number;
  /**
   * How token requests survive a failing authorization server. Transient failures
   * (network errors, timeouts, 5xx, 429) are retried within the same shared fetch, with
   * exponential backoff and full jitter, honouring `Retry-After`; after a fetch fails for
   * good, requests that need a token fail at once for a growing cooldown instead of each
   * sending a token request. `false` turns both off: every failure is final for the
   * requests waiting, and the next request sends a token request at once.
   * Default: the defaults of TokenRetryOptions (2 retries, 15 s budget, 1 s to 30 s cooldown).
   * @example { retries: 4, maxCooldownMs: 60_000 }
   */
  tokenRetry?: TokenRetryOptions | false;
  /**
   * Where the plugin logs token requests, renewals, failures, cooldowns, invalidations and
   * replays, with structured fields and never a secret or token: `console`, a pino or
   * winston logger, or any object with `debug`, `info`, `warn` and `error`. Default: none.
   * @example pino({ level: 'info' })
   */
  logger?: Logger;
  /**
   * Spans and metrics through `@opentelemetry/api` when the app has it installed (an
   * optional peer dependency; without it, nothing is loaded). `false` turns them off.
   * Default `true`.
   */
  openTelemetry?: boolean;
  /**
   * A token store shared by every process of the app (`redisStore(client)`), so that the
   * fleet makes one token request per token lifetime, one after a 401 burst, and one on a
   * cold start, instead of one per process. Tokens are stored encrypted (AES-256-GCM).
   * When the store fails or is slow, each process fetches on its own until it answers
   * again; no request fails because of the store. Default: none, each process on its own.
   * @example redisStore(redisClient)
   */
  store?: TokenStore;
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  tokenEndpoint: string;
  /** Undefined only with the jwt-bearer grant and no client authentication. */
  clientId: string | undefined;
  scope: string;
  /** How the client authenticates; each method with exactly what it needs. */
  clientAuth: ResolvedClientAuth;
  /** The grant; each with exactly what it sends. */
  grant: ResolvedGrant;
  retries: number;
  backend: AxiosInstance | AxiosRequestConfig | undefined;
  /** Normalized origins, or `'*'` for all; `undefined` means "derive from the instance". */
  origins: ReadonlySet<string> | '*' | undefined;
  extraParams: readonly (readonly [string, string])[];
  defaultLifetimeMs: number | undefined;
  tokenRetry: RetryPolicy;
  logger: Logger | undefined;
  openTelemetry: boolean;
  store: ResolvedStore | undefined;
}

/** Set by the library: by the token request, the client authentication methods and the grants. */
const RESERVED_PARAMS = new Set([
  'grant_type',
  'scope',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'username',
  'password',
  'assertion',
]);
/** RFC 6749 §3.3: scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Checks every option and applies defaults. Throws InvalidOptionsError naming the first bad option. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (input === null || typeof input !== 'object') {
    throw new InvalidOptionsError('options', 'expected an object with tokenEndpoint, clientId and clientSecret');
  }
  const options = input as OAuth2Options;
  const tokenEndpoint = resolveTokenEndpoint(options.tokenEndpoint);
  const grant = resolveGrant(options);
  // RFC 7523 §3.1: the jwt-bearer grant may go without client authentication, and then without a client id.
  const allowsNoClientAuth = grant.type === JWT_BEARER;
  const clientId = allowsNoClientAuth && options.clientId === undefined ? undefined : requireCredential('clientId', options.clientId);
  const clientAuth = resolveClientAuth(options, tokenEndpoint, { grantType: grant.type, allowsNoClientAuth });
  if (clientId === undefined && clientAuth.method !== 'none') {
    throw new InvalidOptionsError('clientId', `required with tokenEndpointAuthMethod '${clientAuth.method}'; expected a non-empty string`);
  }
  const scope = resolveScope(options.scope);
  const extraParams = resolveExtraParams(options.extraParams);
  return {
    tokenEndpoint,
    clientId,
    scope,
    clientAuth,
    grant,
    retries: resolveRetries(options.retries),
    backend: resolveBackend(options.backend),
    origins: resolveOrigins(options.origins),
    extraParams,
    defaultLifetimeMs: resolveDefaultLifetime(options.defaultLifetime),
    tokenRetry: resolveRetryPolicy(options.tokenRetry),
    logger: resolveLogger(options.logger),
    openTelemetry: resolveOpenTelemetry(options.openTelemetry),
    store: resolveStore(options.store, { tokenEndpoint, clientId, scope, grant, clientAuth, extraParams }),
  };
}

function resolveTokenEndpoint(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionsError('tokenEndpoint', 'required; expected an absolute http(s) URL');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionsError('tokenEndpoint', 'expected an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionsError('tokenEndpoint', `expected an http: or https: URL, got ${url.protocol}`);
  }
  // RFC 6749 §3.2: "The endpoint URI MUST NOT include a fragment component."
  if (url.hash !== '' || value.includes('#')) {
    throw new InvalidOptionsError('tokenEndpoint', 'must not include a fragment (RFC 6749 §3.2)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionsError('tokenEndpoint', 'must not embed credentials; use clientId and clientSecret');
  }
  return url.href;
}

function requireCredential(name: 'clientId', value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionsError(name, 'required; expected a non-empty string');
  }
  // A lone surrogate has no UTF-8 encoding, so it could never authenticate.
  if (!isWellFormedUnicode(value)) {
    throw new InvalidOptionsError(name, 'contains a lone UTF-16 surrogate, which has no UTF-8 encoding');
  }
  return value;
}

function resolveScope(value: unknown): string {
  if (value === undefined || value === null) return '';
  const tokens = typeof value === 'string' ? value.split(' ').filter((token) => token !== '') : value;
  if (!Array.isArray(tokens)) {
    throw new InvalidOptionsError('scope', 'expected a space-separated string or an array of strings');
  }
  for (const token of tokens) {
    if (typeof token !== 'string' || !SCOPE_TOKEN.test(token)) {
      throw new InvalidOptionsError(
        'scope',
        `each scope must be printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3); got ${JSON.stringify(token)}`,
      );
    }
  }
  return tokens.join(' ');
}

function resolveRetries(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionsError('retries', `expected a non-negative integer (0 disables replay); got ${describeValue(value)}`);
  }
  return value;
}

function resolveBackend(value: unknown): AxiosInstance | AxiosRequestConfig | undefined {
  if (value === undefined) return undefined;
  if (isAxiosInstance(value) || (value !== null && typeof value === 'object' && !Array.isArray(value))) {
    return value as AxiosInstance | AxiosRequestConfig;
  }
  throw new InvalidOptionsError('backend', `expected an axios instance or an axios request config; got ${describeValue(value)}`);
}

function resolveOrigins(value: unknown): ReadonlySet<string> | '*' | undefined {
  if (value === undefined) return undefined;
  if (value === '*') return '*';
  if (!Array.isArray(value)) {
    throw new InvalidOptionsError('origins', `expected an array of http(s) origins or '*'; got ${describeValue(value)}`);
  }
  return new Set(value.map((origin) => normalizeOrigin(origin)));
}

function normalizeOrigin(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidOptionsError('origins', `expected http(s) origins such as 'https://api.example.com'; got ${describeValue(value)}`);
  }
  return url.origin;
}

function resolveExtraParams(value: unknown): readonly (readonly [string, string])[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError('extraParams', `expected an object of string values; got ${describeValue(value)}`);
  }
  const params: (readonly [string, string])[] = [];
  for (const [name, raw] of Object.entries(value)) {
    if (RESERVED_PARAMS.has(name)) {
      throw new InvalidOptionsError('extraParams', `"${name}" is set by the library and cannot be overridden`);
    }
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    for (const item of values) {
      if (typeof item !== 'string') {
        throw new InvalidOptionsError('extraParams', `"${name}" must be a string or an array of strings`);
      }
      params.push([name, item]);
    }
  }
  return params;
}

function resolveDefaultLifetime(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError('defaultLifetime', `expected a positive number of seconds; got ${describeValue(value)}`);
  }
  return value * 1000;
}

function resolveOpenTelemetry(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new InvalidOptionsError('openTelemetry', `expected true or false; got ${describeValue(value)}`);
  return value;
}

/**
 * An axios instance of any copy or version (0.27, 1.x), told by what this library uses:
 * `request`, `defaults`, `interceptors`, and `create` for the interceptor-free sibling
 * that sends replays. Never by class: the app's axios need not be the one we see.
 */
export function isAxiosInstance(value: unknown): value is AxiosInstance {
  if (typeof value !== 'function') return false;
  const candidate = value as unknown as {
    request?: unknown;
    create?: unknown;
    defaults?: unknown;
    interceptors?: { request?: { use?: unknown }; response?: { use?: unknown } };
  };
  return (
    typeof candidate.request === 'function' &&
    typeof candidate.create === 'function' &&
    typeof candidate.defaults === 'object' &&
    candidate.interceptors !== undefined &&
    typeof candidate.interceptors.request?.use === 'function' &&
    typeof candidate.interceptors.response?.use === 'function'
  );
}

function isWellFormedUnicode(value: string): boolean {
  return /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(value);
}
