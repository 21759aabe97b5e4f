import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { InvalidOptionsError, oauth2, type OAuth2Options } from '../lib';
import { interceptorCount } from './support/interceptors';
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

  it('rejects a missing options object and a non-instance', () => {
    expect(rejectionOf(undefined).option).toBe('options');
    expect(() => oauth2({} as never, valid)).toThrow(/expected an axios instance/);
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
