/**
 * The errors this library raises. Each has a stable `code` to branch on, so a
 * caller can tell "the authorization server said invalid_client" from "it was
 * unreachable" without parsing messages. No error carries the client secret,
 * the Basic credentials or an access token, in any field or in its inspection.
 */

export const ErrorCode = {
  /** An option passed to `oauth2()` is missing or invalid. */
  InvalidOptions: 'ERR_OAUTH2_INVALID_OPTIONS',
  /** The token endpoint answered with an error status (RFC 6749 §5.2). */
  TokenEndpoint: 'ERR_OAUTH2_TOKEN_ENDPOINT',
  /** The token endpoint answered 200 with a body that is not a usable token (RFC 6749 §5.1). */
  InvalidTokenResponse: 'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
  /** The token request failed on the network: refused, reset, DNS, TLS. */
  TokenRequestFailed: 'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
  /** The token request did not complete within its timeout. */
  TokenTimeout: 'ERR_OAUTH2_TOKEN_TIMEOUT',
  /** The client assertion of `clientAssertion` could not be obtained, or could not be signed. */
  ClientAssertion: 'ERR_OAUTH2_CLIENT_ASSERTION',
  /** The `assertion` function of the jwt-bearer grant failed or returned no assertion. */
  GrantAssertion: 'ERR_OAUTH2_GRANT_ASSERTION',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error this library raises. Each class sets `name` itself: minifiers rename classes. */
export class OAuth2Error extends Error {
  static {
    this.prototype.name = 'OAuth2Error';
  }

  /** What went wrong, stable across versions: branch on it rather than on the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.code = code;
    if (options && 'cause' in options) {
      // Non-enumerable, like the built-in `cause`, so serializers skip it.
      Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
    }
  }

  /** The error as plain data for a log: name, code, message and its own fields (never `cause`). */
  toJSON(): Record<string, unknown> {
    // Own enumerable fields only: `message`, `stack` and `cause` are not enumerable, and a
    // repeated `code` keeps its place after `name`.
    return { name: this.name, code: this.code, message: this.message, ...Object.fromEntries(Object.entries(this)) };
  }
}

/** An option is missing or invalid. `option` names it. Thrown by `oauth2()`, before anything is sent. */
export class InvalidOptionsError extends OAuth2Error {
  static {
    this.prototype.name = 'InvalidOptionsError';
  }

  /** The option at fault, e.g. `clientSecret` or `tokenRetry.retries`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super(ErrorCode.InvalidOptions, `Invalid option "${option}": ${problem}`);
    this.option = option;
  }
}

/** The OAuth2 error fields of RFC 6749 §5.2, as the token endpoint sent them. */
export interface TokenEndpointErrorFields {
  /** HTTP status of the token response. */
  status: number;
  /** RFC 6749 §5.2 `error`, e.g. `invalid_client`, when the body had one. */
  error?: string;
  /** RFC 6749 §5.2 `error_description`. */
  errorDescription?: string;
  /** RFC 6749 §5.2 `error_uri`. */
  errorUri?: string;
  /**
   * How long the server asked the client to wait, from `Retry-After` (seconds or an
   * HTTP-date, RFC 9110 §10.2.3) on a 429 or 503, in milliseconds.
   */
  retryAfterMs?: number;
}

/** The token endpoint answered with an error status. Never triggers a 401 replay. */
export class TokenEndpointError extends OAuth2Error {
  static {
    this.prototype.name = 'TokenEndpointError';
  }

  /** HTTP status of the token response. */
  readonly status: number;
  // `declare`: an ES2022 class field would make each absent field an own property holding
  // undefined, which inspection and toJSON would then list.
  /** RFC 6749 §5.2 `error`, e.g. `invalid_client`, when the body had one. */
  declare readonly error?: string;
  /** RFC 6749 §5.2 `error_description`, cleaned of credentials and cut to 1,000 printable characters. */
  declare readonly errorDescription?: string;
  /** RFC 6749 §5.2 `error_uri`, cleaned like `errorDescription`. */
  declare readonly errorUri?: string;
  /** What `Retry-After` asked on a 429 or 503, in milliseconds. */
  declare readonly retryAfterMs?: number;

  constructor(fields: TokenEndpointErrorFields) {
    super(ErrorCode.TokenEndpoint, describeEndpointError(fields));
    this.status = fields.status;
    if (fields.error !== undefined) this.error = fields.error;
    if (fields.errorDescription !== undefined) this.errorDescription = fields.errorDescription;
    if (fields.errorUri !== undefined) this.errorUri = fields.errorUri;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/** The token endpoint answered 200 with something that is not a usable bearer token. */
export class InvalidTokenResponseError extends OAuth2Error {
  static {
    this.prototype.name = 'InvalidTokenResponseError';
  }

  /** HTTP status of the token response (200). */
  readonly status: number;

  constructor(status: number, problem: string) {
    super(ErrorCode.InvalidTokenResponse, `Invalid token response: ${problem}`);
    this.status = status;
  }
}

/** The token request failed before any response arrived. `cause` holds the network error (code and message only). */
export class TokenRequestError extends OAuth2Error {
  static {
    this.prototype.name = 'TokenRequestError';
  }

  constructor(message: string, cause: Error) {
    super(ErrorCode.TokenRequestFailed, `Token request failed: ${message}`, { cause });
  }
}

/** The token request took longer than its timeout (`backend.timeout`, default 10 s). */
export class TokenTimeoutError extends OAuth2Error {
  static {
    this.prototype.name = 'TokenTimeoutError';
  }

  /** The timeout that passed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number) {
    super(ErrorCode.TokenTimeout, `Token request timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

/**
 * No client assertion for the token request: the `clientAssertion` function failed or
 * returned no assertion, the file of `clientAssertionFromFile()` is missing, unreadable
 * or empty (`path` names it), or signing one failed. Nothing was sent. The assertion and
 * the key are never part of it; `cause` is the underlying failure (a file system error
 * reduced to its code and message, or what the `clientAssertion` function threw).
 */
export class ClientAssertionError extends OAuth2Error {
  static {
    this.prototype.name = 'ClientAssertionError';
  }

  /** The assertion file, for `clientAssertionFromFile()`. Declared only: absent, it is no own property. */
  declare readonly path?: string;

  constructor(problem: string, options: { path?: string; cause?: unknown } = {}) {
    super(ErrorCode.ClientAssertion, `No client assertion: ${problem}`, 'cause' in options ? { cause: options.cause } : undefined);
    if (options.path !== undefined) this.path = options.path;
  }
}

/**
 * No assertion for the jwt-bearer grant (RFC 7523 §2.1): the `assertion` function threw
 * or returned no string. Nothing was sent; the next token request asks again. The
 * assertion is never part of it; `cause` is what the function threw.
 */
export class GrantAssertionError extends OAuth2Error {
  static {
    this.prototype.name = 'GrantAssertionError';
  }

  constructor(problem: string, options: { cause?: unknown } = {}) {
    super(
      ErrorCode.GrantAssertion,
      `No assertion for the jwt-bearer grant: ${problem}`,
      'cause' in options ? { cause: options.cause } : undefined,
    );
  }
}

function describeEndpointError({ status, error, errorDescription }: TokenEndpointErrorFields): string {
  let message = `Token endpoint answered ${status}`;
  if (error !== undefined) message += ` ${error}`;
  if (errorDescription !== undefined) message += `: ${errorDescription}`;
  return message;
}
