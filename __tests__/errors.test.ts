import {
  ClientAssertionError,
  ErrorCode,
  GrantAssertionError,
  InvalidOptionsError,
  InvalidTokenResponseError,
  OAuth2Error,
  TokenEndpointError,
  TokenRequestError,
  TokenTimeoutError,
} from '../lib';

describe('the error hierarchy', () => {
  const samples: [OAuth2Error, string, string][] = [
    [new InvalidOptionsError('retries', 'expected a non-negative integer'), 'InvalidOptionsError', 'ERR_OAUTH2_INVALID_OPTIONS'],
    [new TokenEndpointError({ status: 400, error: 'invalid_scope' }), 'TokenEndpointError', 'ERR_OAUTH2_TOKEN_ENDPOINT'],
    [new InvalidTokenResponseError(200, 'no access_token'), 'InvalidTokenResponseError', 'ERR_OAUTH2_INVALID_TOKEN_RESPONSE'],
    [
      new TokenRequestError('connect ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      'TokenRequestError',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
    ],
    [new TokenTimeoutError(10_000), 'TokenTimeoutError', 'ERR_OAUTH2_TOKEN_TIMEOUT'],
    [
      new ClientAssertionError('the client assertion file /run/token is empty', { path: '/run/token' }),
      'ClientAssertionError',
      'ERR_OAUTH2_CLIENT_ASSERTION',
    ],
    [
      new GrantAssertionError('the assertion function failed', { cause: new Error('idp down') }),
      'GrantAssertionError',
      'ERR_OAUTH2_GRANT_ASSERTION',
    ],
  ];

  it.each(samples)('%s has its name, a stable code, and is an OAuth2Error', (error, name, code) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.stack?.startsWith(`${name}: `)).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ name, code, message: error.message });
  });

  it('as JSON: name, code and message, then its own fields, and never the cause', () => {
    const error = new TokenEndpointError({ status: 400, error: 'invalid_scope', errorDescription: 'no admin', retryAfterMs: 2_000 });
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(json).toEqual({
      name: 'TokenEndpointError',
      code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      message: 'Token endpoint answered 400 invalid_scope: no admin',
      status: 400,
      error: 'invalid_scope',
      errorDescription: 'no admin',
      retryAfterMs: 2_000,
    });
    expect(Object.keys(json).slice(0, 3)).toEqual(['name', 'code', 'message']);
    const withCause = new GrantAssertionError('the assertion function failed', { cause: new Error('idp down') });
    expect(JSON.stringify(withCause)).not.toContain('idp down');
  });

  it('ErrorCode lists exactly the codes the classes use', () => {
    expect(Object.values(ErrorCode).sort()).toEqual(samples.map(([, , code]) => code).sort());
  });

  it('a network failure keeps its cause, with the system error code', () => {
    const [, , , [error]] = samples;
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(Object.keys(error)).not.toContain('cause');
  });
});
