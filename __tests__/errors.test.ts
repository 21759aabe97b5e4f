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
import { freshModule } from './support/fresh-module';

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

  // Built inside the test from a fresh copy: the class names are set when the module loads.
  it('a fresh copy: every class names itself, and an error holds only the fields it was given', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/errors')) as typeof import('../lib/errors');
    const named: [OAuth2Error, string][] = [
      [new fresh.OAuth2Error(fresh.ErrorCode.TokenTimeout, 'base'), 'OAuth2Error'],
      [new fresh.InvalidOptionsError('retries', 'expected an integer'), 'InvalidOptionsError'],
      [new fresh.TokenEndpointError({ status: 500 }), 'TokenEndpointError'],
      [new fresh.InvalidTokenResponseError(200, 'no access_token'), 'InvalidTokenResponseError'],
      [new fresh.TokenRequestError('reset', new Error('reset')), 'TokenRequestError'],
      [new fresh.TokenTimeoutError(5), 'TokenTimeoutError'],
      [new fresh.ClientAssertionError('none'), 'ClientAssertionError'],
      [new fresh.GrantAssertionError('none'), 'GrantAssertionError'],
    ];
    for (const [error, name] of named) {
      expect(error.name).toBe(name);
      expect(String(error).startsWith(`${name}: `)).toBe(true);
    }

    const bare = new fresh.TokenEndpointError({ status: 500 });
    expect(bare.message).toBe('Token endpoint answered 500');
    expect(Object.keys(bare).sort()).toEqual(['code', 'status']);
    expect(bare.toJSON()).toEqual({ name: 'TokenEndpointError', code: 'ERR_OAUTH2_TOKEN_ENDPOINT', message: bare.message, status: 500 });
    expect(new fresh.TokenEndpointError({ status: 401, errorDescription: 'bad secret' }).message).toBe(
      'Token endpoint answered 401: bad secret',
    );
    expect(new fresh.TokenEndpointError({ status: 400, error: 'invalid_grant' }).message).toBe('Token endpoint answered 400 invalid_grant');
    expect(Object.keys(new fresh.TokenEndpointError({ status: 503, errorUri: 'https://as/e', retryAfterMs: 0 })).sort()).toEqual([
      'code',
      'errorUri',
      'retryAfterMs',
      'status',
    ]);
    expect(Object.keys(new fresh.ClientAssertionError('none'))).toEqual(['code']);
    expect(new fresh.ClientAssertionError('empty', { path: '/run/a' }).path).toBe('/run/a');
  });

  it('the cause is like the built-in one: not enumerable, but writable and configurable', () => {
    const cause = new Error('idp down');
    const descriptor = Object.getOwnPropertyDescriptor(new GrantAssertionError('failed', { cause }), 'cause');
    expect(descriptor).toEqual({ value: cause, enumerable: false, writable: true, configurable: true });
    expect(Object.getOwnPropertyDescriptor(new Error('x', { cause }), 'cause')).toEqual(descriptor);
    expect('cause' in new GrantAssertionError('failed')).toBe(false);
    expect('cause' in new GrantAssertionError('failed', { cause: undefined })).toBe(true);
  });
});
