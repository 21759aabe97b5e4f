import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { InvalidOptionsError, oauth2, type OAuth2Options } from '../lib';
import { interceptorCount } from './support/interceptors';
import { freshModule } from './support/fresh-module';
import { rejectionOf } from './support/options';

const valid: OAuth2Options = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'id', clientSecret: 'secret' };

describe('options are validated at construction', () => {
  it.each([
    ['tokenEndpoint', { ...valid, tokenEndpoint: undefined }, /required.*absolute http\(s\) URL/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: '/oauth2/token' }, /absolute http\(s\) URL/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'ftp://auth.example.com/token' }, /http: or https:.*ftp:/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'https://auth.example.com/token#x' }, /fragment/],
    ['clientId', { ...valid, clientId: undefined }, /required; expected a non-empty string/],
    ['clientId', { ...valid, clientId: '' }, /required; expected a non-empty string/],
    ['clientSecret', { ...valid, clientSecret: undefined }, /required; expected a non-empty string/],
    ['clientSecret', { ...valid, clientSecret: 42 }, /required; expected a non-empty string/],
    [
      'grantType',
      { ...valid, grantType: 'authorization_code' },
      /one of 'client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:jwt-bearer'; got "authorization_code"/,
    ],
    ['grantType', { ...valid, grantType: 7 }, /got a number/],
    [
      'tokenEndpointAuthMethod',
      { ...valid, tokenEndpointAuthMethod: 'tls_client_auth' },
      /one of 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'; got "tls_client_auth"/,
    ],
    ['retries', { ...valid, retries: -1 }, /non-negative integer.*got -1/],
    ['retries', { ...valid, retries: 1.5 }, /non-negative integer.*got 1.5/],
    ['retries', { ...valid, retries: '2' }, /non-negative integer.*got "2"/],
    ['scope', { ...valid, scope: ['a b'] }, /RFC 6749 §3.3/],
    ['scope', { ...valid, scope: 7 }, /space-separated string or an array/],
    ['origins', { ...valid, origins: ['api.example.com'] }, /http\(s\) origins/],
    ['extraParams', { ...valid, extraParams: { client_secret: 'x' } }, /cannot be overridden/],
    ['extraParams', { ...valid, extraParams: { username: 'x' } }, /"username" is set by the library/],
    ['extraParams', { ...valid, extraParams: { password: 'x' } }, /"password" is set by the library/],
    ['extraParams', { ...valid, extraParams: { assertion: 'x' } }, /"assertion" is set by the library/],
    ['defaultLifetime', { ...valid, defaultLifetime: 0 }, /positive number of seconds/],
    ['backend', { ...valid, backend: 'http://proxy' }, /axios instance or an axios request config/],
  ])('rejects a bad %s', (option, options, message) => {
    const error = rejectionOf(options);
    expect(error.option).toBe(option);
    expect(error.code).toBe('ERR_OAUTH2_INVALID_OPTIONS');
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toMatch(message);
  });

  // Each check of each option on its own: a value that only that check catches.
  it.each([
    ['options', null, /"options": expected an object with tokenEndpoint, clientId and clientSecret/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: '' }, /"tokenEndpoint": required; expected an absolute http\(s\) URL/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'https://auth.example.com/token#' }, /must not include a fragment \(RFC 6749 §3.2\)/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'https://user@auth.example.com/token' }, /must not embed credentials/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'https://:pass@auth.example.com/token' }, /must not embed credentials/],
    ['tokenEndpoint', { ...valid, tokenEndpoint: 'https://user:pass@auth.example.com/token' }, /must not embed credentials/],
    ['clientId', { ...valid, clientId: 'svc\uDC00' }, /"clientId": contains a lone UTF-16 surrogate, which has no UTF-8 encoding/],
    ['scope', { ...valid, scope: ['read', 7] }, /RFC 6749 §3.3\); got 7$/],
    ['retries', { ...valid, retries: true }, /got true$/],
    ['retries', { ...valid, retries: null }, /got null$/],
    ['backend', { ...valid, backend: null }, /"backend": expected an axios instance or an axios request config; got null$/],
    ['backend', { ...valid, backend: ['http://proxy'] }, /got an array$/],
    [
      'origins',
      { ...valid, origins: 'https://api.example.com' },
      /"origins": expected an array of http\(s\) origins or '\*'; got "https:\/\/api.example.com"$/,
    ],
    [
      'origins',
      { ...valid, origins: ['ftp://api.example.com'] },
      /http\(s\) origins such as 'https:\/\/api.example.com'; got "ftp:\/\/api.example.com"$/,
    ],
    // Only strings: an object whose toString() gives a URL is not an origin.
    ['origins', { ...valid, origins: [{ toString: (): string => 'https://api.example.com' }] }, /got an object$/],
    ['extraParams', { ...valid, extraParams: null }, /"extraParams": expected an object of string values; got null$/],
    ['extraParams', { ...valid, extraParams: 'audience=api' }, /expected an object of string values; got "audience=api"$/],
    ['extraParams', { ...valid, extraParams: [['audience', 'api']] }, /expected an object of string values; got an array$/],
    ['extraParams', { ...valid, extraParams: { audience: 7 } }, /"extraParams": "audience" must be a string or an array of strings$/],
    ['extraParams', { ...valid, extraParams: { audience: ['api', 7] } }, /"audience" must be a string or an array of strings$/],
    ['defaultLifetime', { ...valid, defaultLifetime: '300' }, /"defaultLifetime": expected a positive number of seconds; got "300"$/],
    ['defaultLifetime', { ...valid, defaultLifetime: Number.NaN }, /positive number of seconds; got NaN$/],
    ['defaultLifetime', { ...valid, defaultLifetime: Number.POSITIVE_INFINITY }, /positive number of seconds; got Infinity$/],
    ['openTelemetry', { ...valid, openTelemetry: 'yes' }, /"openTelemetry": expected true or false; got "yes"$/],
    ['openTelemetry', { ...valid, openTelemetry: () => true }, /got a function$/],
  ] as const)('rejects %s with a value only its own check catches (%#)', (option, options, message) => {
    const error = rejectionOf(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  // On a copy of lib/options loaded here: its constants (the reserved names, the scope
  // pattern) are made when it loads, and only so does per-test coverage see them checked.
  it('every reserved parameter name, and the scope-token pattern (RFC 6749 §3.3) at both ends', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/options')) as typeof import('../lib/options');
    const reserved = [
      'grant_type',
      'scope',
      'client_id',
      'client_secret',
      'client_assertion',
      'client_assertion_type',
      'username',
      'password',
      'assertion',
    ];
    for (const name of reserved) {
      expect(() => fresh.resolveOptions({ ...valid, extraParams: { [name]: 'x' } })).toThrow(`"${name}" is set by the library`);
    }
    expect(fresh.resolveOptions({ ...valid, extraParams: { audience: 'api' } }).extraParams).toEqual([['audience', 'api']]);
    expect(fresh.resolveOptions({ ...valid, scope: 'ab !#[]~' }).scope).toBe('ab !#[]~');
    for (const bad of ['éa', 'aé', 'a"b', 'a\\b']) expect(() => fresh.resolveOptions({ ...valid, scope: bad })).toThrow(/RFC 6749 §3.3/);
    expect(() => fresh.resolveOptions({ ...valid, clientId: 'svc\uD800x' })).toThrow(/lone UTF-16 surrogate/);
    expect(fresh.resolveOptions({ ...valid, clientId: 'svc\uD83D\uDE00' }).clientId).toBe('svc\uD83D\uDE00');
  });

  it('accepts a null scope as no scope', async () => {
    const instance = axios.create();
    const mock = new MockAdapter(instance);
    expect(() => oauth2(instance, { ...valid, scope: null as never })).not.toThrow();
    expect(mock.history.post).toHaveLength(0);
  });

  it('rejects a missing options object and a non-instance', () => {
    expect(rejectionOf(undefined).option).toBe('options');
    expect(() => oauth2({} as never, valid)).toThrow(/expected an axios instance/);
    expect(() => oauth2({} as never, valid)).toThrow(expect.objectContaining({ option: 'instance' }) as Error);
  });

  it('rejects the authorized instance as its own backend', () => {
    const instance = axios.create();
    expect(() => oauth2(instance, { ...valid, backend: instance })).toThrow(/"backend": must not be the instance being authorized/);
  });

  it('rejects an id or secret with a lone surrogate, without echoing it', () => {
    const error = rejectionOf({ ...valid, clientSecret: 'abc\uD800def' });
    expect(error.option).toBe('clientSecret');
    expect(error.message).toMatch(/lone UTF-16 surrogate/);
    expect(error.message).not.toContain('abc');
  });

  it('installs nothing and sends nothing when the options are invalid', async () => {
    const instance = axios.create();
    const mock = new MockAdapter(instance);
    mock.onAny().reply(200);
    expect(() => oauth2(instance, { ...valid, retries: -1 })).toThrow(InvalidOptionsError);
    expect(interceptorCount(instance)).toBe(0);
    await instance.get('https://api.example.com/x');
    expect(mock.history.get[0].headers?.Authorization).toBeUndefined();
    expect(mock.history.post).toHaveLength(0);
  });

  it('accepts a valid configuration with every option', () => {
    const instance = axios.create({ baseURL: 'https://api.example.com' });
    const handle = oauth2(instance, {
      ...valid,
      scope: ['a', 'b'],
      tokenEndpointAuthMethod: 'client_secret_post',
      grantType: 'client_credentials',
      retries: 0,
      backend: { timeout: 2000 },
      origins: ['https://api.example.com'],
      extraParams: { audience: 'api' },
      defaultLifetime: 300,
    });
    expect(typeof handle.getToken).toBe('function');
  });
});
