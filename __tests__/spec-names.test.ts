import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { freshModule } from './support/fresh-module';

/**
 * The names the specs fix, as the library accepts and sends them: the client
 * authentication methods (RFC 8414 §2 registry), the JWS algorithms of each (OpenID
 * Connect Core §9, RFC 7518 §3), the assertion type and the grant types (RFC 7523 §2).
 *
 * The lists are module-level constants, made when lib/ loads: each test loads its own
 * copy (support/fresh-module.ts), so a per-test coverage tool sees them checked.
 */

type Options = typeof import('../lib/options');
type ClientAuth = typeof import('../lib/client-auth');
type Grants = typeof import('../lib/grants');

function freshLibrary(): { options: Options; clientAuth: ClientAuth; grants: Grants } {
  return freshModule(() => ({
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    options: require('../lib/options') as Options,
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy
    clientAuth: require('../lib/client-auth') as ClientAuth,
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy
    grants: require('../lib/grants') as Grants,
  })) as { options: Options; clientAuth: ClientAuth; grants: Grants };
}

const tokenEndpoint = 'https://as.example/token';
const client = { tokenEndpoint, clientId: 'svc' };
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const curves = [
  ['P-256', 'ES256'],
  ['P-384', 'ES384'],
  ['P-521', 'ES512'],
] as const;
const ecKeys = curves.map(([namedCurve, alg]) => [generateKeyPairSync('ec', { namedCurve }).privateKey, alg] as const);
const ed25519 = generateKeyPairSync('ed25519').privateKey;

describe('the names the specs fix', () => {
  it('every tokenEndpointAuthMethod, each with what it needs', () => {
    const { options } = freshLibrary();
    const method = (extra: object) => options.resolveOptions({ ...client, ...extra }).clientAuth.method;
    expect(method({ clientSecret: 's' })).toBe('client_secret_basic');
    expect(method({ clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_basic' })).toBe('client_secret_basic');
    expect(method({ clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post' })).toBe('client_secret_post');
    expect(method({ clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_jwt' })).toBe('client_secret_jwt');
    expect(method({ privateKey: ed25519, tokenEndpointAuthMethod: 'private_key_jwt' })).toBe('private_key_jwt');
    expect(method({ grantType: JWT_BEARER, assertion: 'a.b.c', tokenEndpointAuthMethod: 'none' })).toBe('none');
    expect(() => method({ clientSecret: 's', tokenEndpointAuthMethod: 'client_secret' })).toThrow(
      "expected one of 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'; got \"client_secret\"",
    );
  });

  it('client_secret_jwt signs with HS256, HS384 or HS512, and nothing else', () => {
    const { options } = freshLibrary();
    const algorithm = (signingAlgorithm?: string) => {
      const { clientAuth } = options.resolveOptions({
        ...client,
        clientSecret: 's',
        tokenEndpointAuthMethod: 'client_secret_jwt',
        signingAlgorithm,
      });
      return 'assertion' in clientAuth ? clientAuth.assertion.algorithm : undefined;
    };
    expect(algorithm()).toBe('HS256');
    for (const alg of ['HS256', 'HS384', 'HS512']) expect(algorithm(alg)).toBe(alg);
    expect(() => algorithm('HS1')).toThrow(/expected one of HS256, HS384, HS512 for 'client_secret_jwt'; got "HS1"/);
  });

  it('private_key_jwt: RS* and PS* with an RSA key, the ECDSA algorithm of each curve, EdDSA', () => {
    const { options } = freshLibrary();
    const algorithm = (privateKey: unknown, signingAlgorithm?: string) => {
      const { clientAuth } = options.resolveOptions({
        ...client,
        privateKey,
        tokenEndpointAuthMethod: 'private_key_jwt',
        signingAlgorithm,
      });
      return 'assertion' in clientAuth ? clientAuth.assertion.algorithm : undefined;
    };
    expect(algorithm(rsa)).toBe('RS256');
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) expect(algorithm(rsa, alg)).toBe(alg);
    for (const [key, alg] of ecKeys) {
      expect(algorithm(key)).toBe(alg);
      expect(algorithm(key, alg)).toBe(alg);
    }
    expect(algorithm(ed25519)).toBe('EdDSA');
    expect(algorithm(ed25519, 'EdDSA')).toBe('EdDSA');
    expect(() => algorithm(rsa, 'ES256')).toThrow(
      /"ES256" cannot be made with an RSA key; it signs with RS256, RS384, RS512, PS256, PS384, PS512/,
    );
    expect(() => algorithm(rsa, 'RS1')).toThrow(
      /expected one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA for 'private_key_jwt'; got "RS1"$/,
    );
  });

  it('a client assertion is sent as client_assertion_type jwt-bearer; with the issuer as audience, typed client-authentication+jwt', async () => {
    const { options, clientAuth } = freshLibrary();
    const resolved = options.resolveOptions({
      ...client,
      clientSecret: 's',
      tokenEndpointAuthMethod: 'client_secret_jwt',
      assertionAudience: 'issuer',
      issuer: 'https://as.example',
    });
    const body = new URLSearchParams();
    await clientAuth.clientAuthentication(resolved.clientId, resolved.clientAuth)({}, body);
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(decodeProtectedHeader(body.get('client_assertion') ?? '')).toEqual({ alg: 'HS256', typ: 'client-authentication+jwt' });
  });

  it('the grant types, and the jwt-bearer assertion as sent', async () => {
    const { options, grants } = freshLibrary();
    expect(grants.GRANT_TYPES).toEqual(['client_credentials', 'password', JWT_BEARER]);
    expect(options.resolveOptions({ ...client, clientSecret: 's' }).grant.type).toBe('client_credentials');
    expect(options.resolveOptions({ ...client, clientSecret: 's', grantType: 'password', username: 'u', password: 'p' }).grant.type).toBe(
      'password',
    );
    const jwtBearer = options.resolveOptions({ tokenEndpoint, grantType: JWT_BEARER, assertion: ' a.b.c ' }).grant;
    expect(jwtBearer.type).toBe(JWT_BEARER);
    const body = new URLSearchParams();
    await grants.grantParameters(jwtBearer)(body);
    expect(body.toString()).toBe('assertion=a.b.c');
  });

  it('an assertion function that fails is a GrantAssertionError, or a ClientAssertionError for client authentication', async () => {
    const { options, clientAuth, grants } = freshLibrary();
    const failing = () => {
      throw new Error('idp down');
    };
    const grant = options.resolveOptions({ tokenEndpoint, grantType: JWT_BEARER, assertion: failing }).grant;
    await expect(grants.grantParameters(grant)(new URLSearchParams())).rejects.toMatchObject({
      name: 'GrantAssertionError',
      message: 'No assertion for the jwt-bearer grant: the assertion function failed',
    });
    const resolved = options.resolveOptions({ ...client, tokenEndpointAuthMethod: 'private_key_jwt', clientAssertion: failing });
    await expect(clientAuth.clientAuthentication(resolved.clientId, resolved.clientAuth)({}, new URLSearchParams())).rejects.toMatchObject({
      name: 'ClientAssertionError',
      message: 'No client assertion: the clientAssertion function failed',
    });
  });
});
