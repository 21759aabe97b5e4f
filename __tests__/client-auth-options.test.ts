import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import axios from 'axios';
import { oauth2, type OAuth2Options } from '../lib';
import { rejectionOf } from './support/options';

/** Every combination of client-authentication options that cannot work is refused by oauth2(), naming the option. */

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const ed25519 = generateKeyPairSync('ed25519');
const x25519 = generateKeyPairSync('x25519');
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const base = { tokenEndpoint: 'https://auth.example.com/oauth2/token', clientId: 'svc' };
const pkjwt = { ...base, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey } as const;
const csjwt = { ...base, tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: 'shh' } as const;

describe('client authentication options', () => {
  it.each<[string, string, Record<string, unknown>, RegExp]>([
    // Secret methods get no key, no assertion and no assertion settings.
    [
      'privateKey with client_secret_basic (the default)',
      'privateKey',
      { ...base, clientSecret: 's', privateKey: rsa.privateKey },
      /only used with tokenEndpointAuthMethod 'private_key_jwt'; it is 'client_secret_basic'/,
    ],
    [
      'privateKey with client_secret_post',
      'privateKey',
      { ...base, clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post', privateKey: rsaPem },
      /it is 'client_secret_post'/,
    ],
    [
      'clientAssertion with client_secret_basic',
      'clientAssertion',
      { ...base, clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_basic', clientAssertion: 'a.b.c' },
      /only used with tokenEndpointAuthMethod 'private_key_jwt'/,
    ],
    [
      'keyId with client_secret_basic',
      'keyId',
      { ...base, clientSecret: 's', keyId: 'k1' },
      /only used with tokenEndpointAuthMethod 'client_secret_jwt' or 'private_key_jwt'/,
    ],
    [
      'signingAlgorithm with client_secret_post',
      'signingAlgorithm',
      { ...base, clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post', signingAlgorithm: 'HS256' },
      /only used with tokenEndpointAuthMethod 'client_secret_jwt' or 'private_key_jwt'/,
    ],
    [
      'assertionLifetime with client_secret_basic',
      'assertionLifetime',
      { ...base, clientSecret: 's', assertionLifetime: 30 },
      /only used with/,
    ],
    [
      'assertionAudience with client_secret_basic',
      'assertionAudience',
      { ...base, clientSecret: 's', assertionAudience: 'issuer' },
      /only used with/,
    ],
    [
      'clientSecret missing with client_secret_post',
      'clientSecret',
      { ...base, tokenEndpointAuthMethod: 'client_secret_post' },
      /required; expected a non-empty string \(tokenEndpointAuthMethod 'client_secret_post'/,
    ],
    // client_secret_jwt
    [
      'clientSecret missing with client_secret_jwt',
      'clientSecret',
      { ...base, tokenEndpointAuthMethod: 'client_secret_jwt' },
      /required.*'client_secret_jwt'/,
    ],
    [
      'privateKey with client_secret_jwt',
      'privateKey',
      { ...csjwt, privateKey: rsa.privateKey },
      /'client_secret_jwt' signs with clientSecret/,
    ],
    [
      'clientAssertion with client_secret_jwt',
      'clientAssertion',
      { ...csjwt, clientAssertion: 'a.b.c' },
      /'client_secret_jwt' signs with clientSecret/,
    ],
    [
      'RS256 for client_secret_jwt',
      'signingAlgorithm',
      { ...csjwt, signingAlgorithm: 'RS256' },
      /one of HS256, HS384, HS512 for 'client_secret_jwt'; got "RS256" \(asymmetric algorithms are for 'private_key_jwt'/,
    ],
    ['an unknown algorithm for client_secret_jwt', 'signingAlgorithm', { ...csjwt, signingAlgorithm: 'none' }, /got "none"/],
    // private_key_jwt
    [
      'private_key_jwt without privateKey',
      'privateKey',
      { ...base, tokenEndpointAuthMethod: 'private_key_jwt' },
      /required with tokenEndpointAuthMethod 'private_key_jwt' \(or clientAssertion/,
    ],
    ['clientSecret with private_key_jwt', 'clientSecret', { ...pkjwt, clientSecret: 's' }, /not used by 'private_key_jwt'/],
    ['clientAssertion together with privateKey', 'clientAssertion', { ...pkjwt, clientAssertion: 'a.b.c' }, /conflicts with privateKey/],
    [
      'an HS algorithm for private_key_jwt',
      'signingAlgorithm',
      { ...pkjwt, signingAlgorithm: 'HS256' },
      /for 'private_key_jwt'; got "HS256" \(HMAC algorithms are for 'client_secret_jwt'\)/,
    ],
    [
      'ES256 with an RSA key',
      'signingAlgorithm',
      { ...pkjwt, signingAlgorithm: 'ES256' },
      /"ES256" cannot be made with an RSA key; it signs with RS256, RS384, RS512, PS256, PS384, PS512/,
    ],
    [
      'RS256 with an EC key',
      'signingAlgorithm',
      { ...pkjwt, privateKey: p256.privateKey, signingAlgorithm: 'RS256' },
      /cannot be made with an EC prime256v1 key; it signs with ES256/,
    ],
    [
      'ES256 with a P-384 key',
      'signingAlgorithm',
      { ...pkjwt, privateKey: p384.privateKey, signingAlgorithm: 'ES256' },
      /it signs with ES384/,
    ],
    [
      'ES256 with an Ed25519 key',
      'signingAlgorithm',
      { ...pkjwt, privateKey: ed25519.privateKey, signingAlgorithm: 'ES256' },
      /it signs with EdDSA/,
    ],
    [
      'a JWK alg that does not fit the key',
      'privateKey',
      { ...pkjwt, privateKey: { ...p256.privateKey.export({ format: 'jwk' }), alg: 'RS256' } },
      /"RS256" cannot be made with an EC/,
    ],
    ['a public key', 'privateKey', { ...pkjwt, privateKey: rsa.publicKey }, /expected a private key; got a public KeyObject/],
    ['a public PEM', 'privateKey', { ...pkjwt, privateKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) }, /got a PEM PUBLIC KEY/],
    [
      'a public JWK',
      'privateKey',
      { ...pkjwt, privateKey: rsa.publicKey.export({ format: 'jwk' }) },
      /private JWK \(with "d"\); got a public one/,
    ],
    [
      'a secret KeyObject',
      'privateKey',
      { ...pkjwt, privateKey: createSecretKey(Buffer.alloc(32, 1)) },
      /got a secret KeyObject \(a shared secret belongs in clientSecret/,
    ],
    ['a symmetric JWK', 'privateKey', { ...pkjwt, privateKey: { kty: 'oct', k: 'AAAA' } }, /kty 'oct'/],
    [
      'an encrypted PEM',
      'privateKey',
      { ...pkjwt, privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) },
      /is encrypted; decrypt it first/,
    ],
    ['text that is no PEM', 'privateKey', { ...pkjwt, privateKey: 'my-private-key' }, /expected a PEM private key/],
    [
      'a corrupt PEM',
      'privateKey',
      { ...pkjwt, privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      /could not be read as a PEM PRIVATE KEY/,
    ],
    ['an RSA key under 2048 bits', 'privateKey', { ...pkjwt, privateKey: smallRsa.privateKey }, /at least 2048 bits.*got 1024/],
    ['a secp256k1 key', 'privateKey', { ...pkjwt, privateKey: secp256k1.privateKey }, /secp256k1 is not a JOSE curve/],
    ['an X25519 key', 'privateKey', { ...pkjwt, privateKey: x25519.privateKey }, /a x25519 key cannot sign a JWT/],
    [
      'a number as privateKey',
      'privateKey',
      { ...pkjwt, privateKey: 42 },
      /PEM string, a private JWK object or a private KeyObject; got a number/,
    ],
    ['null as privateKey', 'privateKey', { ...pkjwt, privateKey: null }, /private KeyObject; got null$/],
    ['an array as privateKey', 'privateKey', { ...pkjwt, privateKey: [rsaPem] }, /private KeyObject; got an array$/],
    [
      'a private JWK that is not a key',
      'privateKey',
      { ...pkjwt, privateKey: { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' } },
      /could not be read as a private JWK \(kty "RSA"\)/,
    ],
    [
      'a JWK whose alg is not an asymmetric one',
      'privateKey',
      { ...pkjwt, privateKey: { ...rsa.privateKey.export({ format: 'jwk' }), alg: 'HS256' } },
      /"privateKey": the JWK's alg: expected one of .*; got "HS256" \(HMAC algorithms are for 'client_secret_jwt'\)/,
    ],
    [
      'a signingAlgorithm an RSA-PSS key cannot make',
      'signingAlgorithm',
      { ...pkjwt, privateKey: rsaPss.privateKey, signingAlgorithm: 'RS256' },
      /"signingAlgorithm": "RS256" cannot be made with an RSA-PSS key; it signs with PS256, PS384, PS512$/,
    ],
    ['a public KeyObject', 'privateKey', { ...pkjwt, privateKey: rsa.publicKey }, /expected a private key; got a public KeyObject$/],
    [
      'a PEM certificate',
      'privateKey',
      { ...pkjwt, privateKey: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' },
      /got a PEM CERTIFICATE \(the server keeps the public key/,
    ],
    [
      'a JWK with an empty "d"',
      'privateKey',
      { ...pkjwt, privateKey: { ...rsa.publicKey.export({ format: 'jwk' }), d: '' } },
      /got a public one/,
    ],
    [
      'an empty clientSecret',
      'clientSecret',
      { ...base, tokenEndpointAuthMethod: 'client_secret_post', clientSecret: '' },
      /required; expected a non-empty string/,
    ],
    [
      'an asymmetric signingAlgorithm for client_secret_jwt',
      'signingAlgorithm',
      { ...csjwt, signingAlgorithm: 'ES256' },
      /got "ES256" \(asymmetric algorithms are for 'private_key_jwt' with privateKey\)$/,
    ],
    ['an unknown signingAlgorithm for client_secret_jwt', 'signingAlgorithm', { ...csjwt, signingAlgorithm: 'XRS256' }, /got "XRS256"$/],
    ['a number as signingAlgorithm for client_secret_jwt', 'signingAlgorithm', { ...csjwt, signingAlgorithm: 256 }, /got 256$/],
    ['a number as keyId', 'keyId', { ...pkjwt, keyId: 7 }, /the JWS kid\); got 7$/],
    [
      "an empty issuer with assertionAudience 'issuer'",
      'issuer',
      { ...pkjwt, assertionAudience: 'issuer', issuer: '' },
      /required with assertionAudience 'issuer'/,
    ],
    ['a number as assertionAudience', 'assertionAudience', { ...pkjwt, assertionAudience: 7 }, /got 7$/],
    ['a string as assertionLifetime', 'assertionLifetime', { ...pkjwt, assertionLifetime: '60' }, /got "60"$/],
    // Assertion settings
    [
      "assertionAudience 'issuer' without issuer",
      'issuer',
      { ...pkjwt, assertionAudience: 'issuer' },
      /required with assertionAudience 'issuer'/,
    ],
    [
      "issuer without assertionAudience 'issuer'",
      'issuer',
      { ...pkjwt, issuer: 'https://auth.example.com' },
      /only used with assertionAudience 'issuer'/,
    ],
    ['an empty assertionAudience', 'assertionAudience', { ...csjwt, assertionAudience: '' }, /'token-endpoint', 'issuer' or the audience/],
    ['assertionLifetime 0', 'assertionLifetime', { ...pkjwt, assertionLifetime: 0 }, /positive whole number of seconds; got 0/],
    ['assertionLifetime 1.5', 'assertionLifetime', { ...csjwt, assertionLifetime: 1.5 }, /got 1.5/],
    ['an empty keyId', 'keyId', { ...pkjwt, keyId: '' }, /non-empty string \(the JWS kid\)/],
    // clientAssertion
    [
      'an empty clientAssertion',
      'clientAssertion',
      { ...base, clientAssertion: '' },
      /non-empty string, or a function.*got an empty string/,
    ],
    ['a number as clientAssertion', 'clientAssertion', { ...base, clientAssertion: 7 }, /got a number/],
    [
      'clientSecret with clientAssertion',
      'clientSecret',
      { ...base, clientAssertion: 'a.b.c', clientSecret: 's' },
      /not used by 'private_key_jwt' with clientAssertion/,
    ],
    ['keyId with clientAssertion', 'keyId', { ...base, clientAssertion: 'a.b.c', keyId: 'k' }, /a clientAssertion is signed elsewhere/],
    [
      'assertionLifetime with clientAssertion',
      'assertionLifetime',
      { ...base, clientAssertion: () => 'a.b.c', assertionLifetime: 60 },
      /signed elsewhere/,
    ],
    ['client_assertion in extraParams', 'extraParams', { ...pkjwt, extraParams: { client_assertion: 'x' } }, /cannot be overridden/],
  ])('refuses %s', (_case, option, options, message) => {
    const error = rejectionOf(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toMatch(message);
  });

  it('never quotes key material or an assertion in the error', () => {
    const jwk = p256.privateKey.export({ format: 'jwk' });
    const cases: [Record<string, unknown>, string][] = [
      [{ ...pkjwt, privateKey: { ...jwk, alg: 'RS256' } }, jwk.d!],
      [{ ...pkjwt, privateKey: rsaPem, clientAssertion: 'assertion-b4d9' }, 'assertion-b4d9'],
      [{ ...pkjwt, privateKey: `${rsaPem.slice(0, 200)}garbage-c0ffee` }, 'c0ffee'],
      [{ ...base, clientSecret: 's', privateKey: rsaPem }, rsaPem.split('\n')[1]],
    ];
    for (const [options, secret] of cases) {
      const error = rejectionOf(options);
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secret);
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['private_key_jwt with a PEM', { ...pkjwt, privateKey: rsaPem }],
    ['private_key_jwt with an Ed448 key', { ...pkjwt, privateKey: generateKeyPairSync('ed448').privateKey }],
    ['private_key_jwt with an RSA-PSS key', { ...pkjwt, privateKey: rsaPss.privateKey }],
    [
      'private_key_jwt with every assertion option',
      {
        ...pkjwt,
        keyId: 'k',
        signingAlgorithm: 'PS512',
        assertionLifetime: 120,
        assertionAudience: 'issuer',
        issuer: 'https://auth.example.com',
      },
    ],
    [
      'client_secret_jwt with HS512 and an explicit audience',
      { ...csjwt, signingAlgorithm: 'HS512', assertionAudience: 'https://auth.example.com/token' },
    ],
    ['clientAssertion without a method (private_key_jwt implied)', { ...base, clientAssertion: 'a.b.c' }],
    [
      'clientAssertion with private_key_jwt, as a function',
      { ...base, tokenEndpointAuthMethod: 'private_key_jwt', clientAssertion: async () => 'a.b.c' },
    ],
    ['client_secret_basic with no assertion options', { ...base, clientSecret: 's' }],
  ])('accepts %s', (_case, options) => {
    expect(() => oauth2(axios.create(), options as unknown as OAuth2Options)).not.toThrow();
  });

  it('types: a misspelled option does not compile', () => {
    // @ts-expect-error `privateKeyPem` is not an option.
    const misspelled: OAuth2Options = { ...base, tokenEndpointAuthMethod: 'private_key_jwt', privateKeyPem: rsaPem };
    // @ts-expect-error not a method.
    const badMethod: OAuth2Options = { ...base, tokenEndpointAuthMethod: 'private_key' };
    // @ts-expect-error not a JWS algorithm.
    const badAlgorithm: OAuth2Options = { ...pkjwt, signingAlgorithm: 'RSA256' };
    expect([misspelled, badMethod, badAlgorithm]).toHaveLength(3);
  });
});
