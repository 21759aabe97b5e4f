import { generateKeyPairSync } from 'node:crypto';
import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { InvalidOptionsError, oauth2, type OAuth2Options } from '../lib';
import { rejectionOf } from './support/options';

/** Every combination of grant options that cannot work is refused by oauth2(), naming the option; nothing is sent. */

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const base = { tokenEndpoint: 'https://auth.example.com/oauth2/token', clientId: 'svc', clientSecret: 'shh' };
const passwordGrant = { ...base, grantType: 'password', username: 'jdoe', password: 'pw' } as const;
const jwtBearer = { tokenEndpoint: base.tokenEndpoint, grantType: JWT_BEARER, assertion: 'a.b.c' } as const;

describe('grant options', () => {
  it.each<[string, string, Record<string, unknown>, RegExp]>([
    // password
    [
      'password without username',
      'username',
      { ...base, grantType: 'password', password: 'pw' },
      /required with grantType 'password'; expected a non-empty string; got undefined/,
    ],
    [
      'password without password (username only)',
      'password',
      { ...base, grantType: 'password', username: 'jdoe' },
      /required with grantType 'password'; expected a non-empty string; got undefined/,
    ],
    ['an empty username', 'username', { ...passwordGrant, username: '' }, /got an empty string/],
    ['null as grantType', 'grantType', { ...base, grantType: null }, /got a null$/],
    ['null as password', 'password', { ...passwordGrant, password: null }, /got null$/],
    ['a lone high surrogate in the password', 'password', { ...passwordGrant, password: 'p\uD800w' }, /lone UTF-16 surrogate/],
    ['null as assertion', 'assertion', { ...jwtBearer, assertion: null }, /got null$/],
    ['an array as assertion', 'assertion', { ...jwtBearer, assertion: ['a.b.c'] }, /got an array$/],
    ['an empty password', 'password', { ...passwordGrant, password: '' }, /got an empty string/],
    ['a number as password', 'password', { ...passwordGrant, password: 1234 }, /got a number/],
    ['a password with a lone surrogate', 'password', { ...passwordGrant, password: 'pw\uD800x' }, /lone UTF-16 surrogate/],
    [
      'assertion with password',
      'assertion',
      { ...passwordGrant, assertion: 'a.b.c' },
      /only used with grantType 'urn:ietf:params:oauth:grant-type:jwt-bearer'; it is 'password'/,
    ],
    [
      'password with no client authentication',
      'tokenEndpointAuthMethod',
      { ...passwordGrant, clientSecret: undefined, tokenEndpointAuthMethod: 'none' },
      /'none' \(no client authentication\) only works with grantType 'urn:ietf:params:oauth:grant-type:jwt-bearer' \(RFC 7523 §3.1\); grantType 'password' needs the client to authenticate/,
    ],
    [
      'password without clientSecret (client_secret_basic)',
      'clientSecret',
      { ...passwordGrant, clientSecret: undefined },
      /required; expected a non-empty string \(tokenEndpointAuthMethod 'client_secret_basic'/,
    ],
    ['password without clientId', 'clientId', { ...passwordGrant, clientId: undefined }, /required; expected a non-empty string/],
    // client_credentials (the default)
    [
      'username with client_credentials',
      'username',
      { ...base, username: 'jdoe' },
      /only used with grantType 'password'; it is 'client_credentials'/,
    ],
    [
      'password with client_credentials',
      'password',
      { ...base, password: 'pw' },
      /only used with grantType 'password' \(the user's password\); it is 'client_credentials'. The client's own secret is clientSecret/,
    ],
    [
      'username and password with client_credentials named',
      'username',
      { ...base, grantType: 'client_credentials', username: 'jdoe', password: 'pw' },
      /it is 'client_credentials'/,
    ],
    [
      'assertion with client_credentials',
      'assertion',
      { ...base, assertion: 'a.b.c' },
      /only used with grantType 'urn:ietf:params:oauth:grant-type:jwt-bearer'; it is 'client_credentials' \(a client assertion signed elsewhere is clientAssertion\)/,
    ],
    [
      'none with client_credentials',
      'tokenEndpointAuthMethod',
      { ...base, clientSecret: undefined, tokenEndpointAuthMethod: 'none' },
      /grantType 'client_credentials' needs the client to authenticate/,
    ],
    // jwt-bearer
    [
      'jwt-bearer without assertion',
      'assertion',
      { ...jwtBearer, assertion: undefined },
      /required with grantType 'urn:ietf:params:oauth:grant-type:jwt-bearer'; expected the JWT as a non-empty string, or a function returning one; got undefined/,
    ],
    ['jwt-bearer with an empty assertion', 'assertion', { ...jwtBearer, assertion: '  ' }, /got an empty string/],
    ['jwt-bearer with an object as assertion', 'assertion', { ...jwtBearer, assertion: { jwt: 'a.b.c' } }, /got an object/],
    [
      'username with jwt-bearer',
      'username',
      { ...jwtBearer, username: 'jdoe' },
      /only used with grantType 'password'; it is 'urn:ietf:params:oauth:grant-type:jwt-bearer'/,
    ],
    ['password with jwt-bearer', 'password', { ...jwtBearer, password: 'pw' }, /only used with grantType 'password'/],
    [
      'none with clientSecret',
      'clientSecret',
      { ...jwtBearer, clientId: 'svc', clientSecret: 'shh', tokenEndpointAuthMethod: 'none' },
      /not used with tokenEndpointAuthMethod 'none'/,
    ],
    [
      'none with privateKey',
      'privateKey',
      { ...jwtBearer, tokenEndpointAuthMethod: 'none', privateKey: rsa.privateKey },
      /not used with tokenEndpointAuthMethod 'none'/,
    ],
    [
      'none with clientAssertion',
      'clientAssertion',
      { ...jwtBearer, tokenEndpointAuthMethod: 'none', clientAssertion: 'x.y.z' },
      /not used with tokenEndpointAuthMethod 'none'/,
    ],
    [
      'no client authentication with keyId',
      'keyId',
      { ...jwtBearer, keyId: 'k1' },
      /only used with tokenEndpointAuthMethod 'client_secret_jwt' or 'private_key_jwt'; it is 'none'/,
    ],
    [
      'jwt-bearer with client_secret_post but no clientSecret',
      'clientSecret',
      { ...jwtBearer, clientId: 'svc', tokenEndpointAuthMethod: 'client_secret_post' },
      /required.*'client_secret_post'/,
    ],
    [
      'jwt-bearer with client_secret_basic but no clientId',
      'clientId',
      { ...jwtBearer, clientSecret: 'shh' },
      /required with tokenEndpointAuthMethod 'client_secret_basic'/,
    ],
    [
      'jwt-bearer with private_key_jwt but no clientId',
      'clientId',
      { ...jwtBearer, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey },
      /required with tokenEndpointAuthMethod 'private_key_jwt'/,
    ],
    [
      'jwt-bearer with private_key_jwt but no key',
      'privateKey',
      { ...jwtBearer, clientId: 'svc', tokenEndpointAuthMethod: 'private_key_jwt' },
      /required with tokenEndpointAuthMethod 'private_key_jwt'/,
    ],
    ['jwt-bearer with an empty clientId', 'clientId', { ...jwtBearer, clientId: '' }, /required; expected a non-empty string/],
    // reserved parameters
    [
      'username in extraParams',
      'extraParams',
      { ...passwordGrant, extraParams: { username: 'other' } },
      /"username" is set by the library/,
    ],
    ['password in extraParams', 'extraParams', { ...base, extraParams: { password: 'pw' } }, /"password" is set by the library/],
    ['assertion in extraParams', 'extraParams', { ...jwtBearer, extraParams: { assertion: 'x' } }, /"assertion" is set by the library/],
  ])('refuses %s', (_case, option, options, message) => {
    const error = rejectionOf(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toMatch(message);
  });

  it('never quotes a username, a password or an assertion', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, password: 'pw-7f3a9c' }, 'pw-7f3a9c'],
      [{ ...base, username: 'user-7f3a9c' }, 'user-7f3a9c'],
      [{ ...passwordGrant, password: 'pw-7f3a9c\uD800' }, 'pw-7f3a9c'],
      [{ ...passwordGrant, assertion: 'eyJ.assertion-7f3a9c.sig' }, '7f3a9c'],
      [{ ...base, assertion: 'eyJ.assertion-7f3a9c.sig' }, '7f3a9c'],
      [{ ...jwtBearer, assertion: 'eyJ.assertion-7f3a9c.sig', password: 'pw-7f3a9c' }, '7f3a9c'],
      [{ ...jwtBearer, assertion: 'eyJ.assertion-7f3a9c.sig', extraParams: { assertion: 'eyJ.assertion-7f3a9c.sig' } }, '7f3a9c'],
    ];
    for (const [options, secret] of cases) {
      const error = rejectionOf(options);
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secret);
    }
  });

  it('sends nothing and installs nothing when a grant option is refused', async () => {
    const instance = axios.create();
    const mock = new MockAdapter(instance);
    mock.onAny().reply(200);
    expect(() => oauth2(instance, { ...base, grantType: 'password', username: 'jdoe' })).toThrow(InvalidOptionsError);
    await instance.get('https://api.example.com/x');
    expect(mock.history.get[0].headers?.Authorization).toBeUndefined();
    expect(mock.history.post).toHaveLength(0);
  });

  it.each<[string, Record<string, unknown>]>([
    ['password with a surrogate pair (an emoji) in it', { ...passwordGrant, password: 'p\uD83D\uDE00w' }],
    ['password with client_secret_basic', passwordGrant],
    ['password with client_secret_post', { ...passwordGrant, tokenEndpointAuthMethod: 'client_secret_post' }],
    ['password with client_secret_jwt', { ...passwordGrant, tokenEndpointAuthMethod: 'client_secret_jwt' }],
    [
      'password with private_key_jwt',
      { ...passwordGrant, clientSecret: undefined, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey },
    ],
    ['password with clientAssertion', { ...passwordGrant, clientSecret: undefined, clientAssertion: () => 'x.y.z' }],
    ['jwt-bearer without clientId', jwtBearer],
    ['jwt-bearer with clientId only', { ...jwtBearer, clientId: 'svc' }],
    ["jwt-bearer with 'none' and a clientId", { ...jwtBearer, clientId: 'svc', tokenEndpointAuthMethod: 'none' }],
    ['jwt-bearer with an assertion function and scope', { ...jwtBearer, assertion: async () => 'a.b.c', scope: ['a', 'b'] }],
    ['jwt-bearer with client_secret_basic', { ...jwtBearer, clientId: 'svc', clientSecret: 'shh' }],
    [
      'jwt-bearer with client_secret_post',
      { ...jwtBearer, clientId: 'svc', clientSecret: 'shh', tokenEndpointAuthMethod: 'client_secret_post' },
    ],
    [
      'jwt-bearer with client_secret_jwt',
      { ...jwtBearer, clientId: 'svc', clientSecret: 'shh', tokenEndpointAuthMethod: 'client_secret_jwt' },
    ],
    [
      'jwt-bearer with private_key_jwt',
      { ...jwtBearer, clientId: 'svc', tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey },
    ],
    ['jwt-bearer with clientAssertion', { ...jwtBearer, clientId: 'svc', clientAssertion: 'x.y.z' }],
  ])('accepts %s', (_case, options) => {
    expect(() => oauth2(axios.create(), options as unknown as OAuth2Options)).not.toThrow();
  });

  it('types: grant options are typed, and a misspelled one does not compile', () => {
    const typed: OAuth2Options[] = [
      { ...base, grantType: 'password', username: 'u', password: 'p' },
      { tokenEndpoint: base.tokenEndpoint, grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: async () => 'a.b.c' },
      {
        tokenEndpoint: base.tokenEndpoint,
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: () => 'a.b.c',
        tokenEndpointAuthMethod: 'none',
      },
    ];
    // @ts-expect-error `userName` is not an option.
    const misspelled: OAuth2Options = { ...base, grantType: 'password', userName: 'u', password: 'p' };
    // @ts-expect-error `assertions` is not an option.
    const plural: OAuth2Options = { ...jwtBearer, assertions: 'a.b.c' };
    // @ts-expect-error not a grant type.
    const badGrant: OAuth2Options = { ...base, grantType: 'jwt-bearer' };
    // @ts-expect-error an assertion function returns a string.
    const badAssertion: OAuth2Options = { ...jwtBearer, assertion: () => 42 };
    expect([...typed, misspelled, plural, badGrant, badAssertion]).toHaveLength(7);
  });
});
