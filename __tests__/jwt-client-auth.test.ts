import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import axios from 'axios';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { oauth2, type OAuth2Options } from '../lib';
import { signClientAssertion } from '../lib/client-auth/jwt-assertion';
import { CLIENT_ID, CLIENT_SECRET, useServers } from './support/servers';

/**
 * `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9) on the
 * wire, against the loopback authorization server, which verifies each assertion's
 * signature, iss/sub, aud, exp and jti before it issues a token.
 */

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed25519 = generateKeyPairSync('ed25519');
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

const pem = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1') => key.export({ type, format: 'pem' }).toString();

describe('JWT client assertions on the wire', () => {
  const servers = useServers();

  /** A handle on a fresh API instance, authenticated with `options` against the loopback server. */
  function connect(options: Partial<OAuth2Options>) {
    const instance = axios.create({ baseURL: servers.api.url });
    const handle = oauth2(instance, { tokenEndpoint: servers.auth.tokenEndpoint, clientId: CLIENT_ID, ...options });
    return { instance, handle };
  }

  /** The token requests the server received, each with its assertion decoded. */
  function sentAssertions() {
    return servers.auth.requests.map((request) => {
      const assertion = request.params.get('client_assertion') ?? '';
      return { request, assertion, header: decodeProtectedHeader(assertion), claims: decodeJwt(assertion) };
    });
  }

  /** The exact form body of an assertion-authenticated client-credentials request. */
  const expectedBody = (assertion: string, scope?: string) =>
    `grant_type=client_credentials${scope ? `&scope=${scope}` : ''}&client_id=${CLIENT_ID}&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${assertion}`;

  describe('private_key_jwt: the server verifies a token signed with each kind of key', () => {
    it.each([
      ['RSA, PKCS#8 PEM', 'RS256', () => pem(rsa.privateKey, 'pkcs8'), rsa.publicKey],
      ['RSA, PKCS#1 PEM', 'RS256', () => pem(rsa.privateKey, 'pkcs1'), rsa.publicKey],
      ['RSA, JWK', 'RS256', () => rsa.privateKey.export({ format: 'jwk' }), rsa.publicKey],
      ['EC P-256, SEC1 PEM', 'ES256', () => pem(p256.privateKey, 'sec1'), p256.publicKey],
      ['EC P-256, PKCS#8 PEM', 'ES256', () => pem(p256.privateKey, 'pkcs8'), p256.publicKey],
      ['EC P-384, KeyObject', 'ES384', () => p384.privateKey, p384.publicKey],
      ['EC P-521, JWK', 'ES512', () => p521.privateKey.export({ format: 'jwk' }), p521.publicKey],
      ['Ed25519, PKCS#8 PEM', 'EdDSA', () => pem(ed25519.privateKey, 'pkcs8'), ed25519.publicKey],
      ['Ed25519, KeyObject', 'EdDSA', () => ed25519.privateKey, ed25519.publicKey],
      // Node has no JWK form for an RSA-PSS key: the key is used and scrubbed without one.
      ['RSA-PSS, PKCS#8 PEM', 'PS256', () => pem(rsaPss.privateKey, 'pkcs8'), rsaPss.publicKey],
    ] as const)('%s (default alg %s)', async (_name, alg, privateKey, publicKey) => {
      servers.auth.registerClientKey(CLIENT_ID, publicKey);
      const { instance } = connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: privateKey(), scope: 'invoices:read' });
      expect((await instance.get('/invoices')).status).toBe(200);
      const [sent] = sentAssertions();
      expect(sent.request.answer?.status).toBe(200);
      expect(sent.request.assertion?.method).toBe('private_key_jwt');
      expect(sent.request.body).toBe(expectedBody(sent.assertion, 'invoices%3Aread'));
      expect(sent.request.headers.authorization).toBeUndefined();
      expect(sent.header).toEqual({ alg });
    });

    it('signs with an RSA algorithm asked for (PS384), and sends keyId as kid', async () => {
      servers.auth.registerClientKey(CLIENT_ID, rsa.publicKey);
      const { handle } = connect({
        tokenEndpointAuthMethod: 'private_key_jwt',
        privateKey: rsa.privateKey,
        signingAlgorithm: 'PS384',
        keyId: 'key-2024',
      });
      await handle.getToken();
      expect(sentAssertions()[0].header).toEqual({ alg: 'PS384', kid: 'key-2024' });
      expect(servers.auth.requests[0].answer?.status).toBe(200);
    });

    it('takes kid and alg from a JWK that has them', async () => {
      servers.auth.registerClientKey(CLIENT_ID, rsa.publicKey);
      const jwk = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'okta-key-1', alg: 'RS512' };
      await connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: jwk }).handle.getToken();
      expect(sentAssertions()[0].header).toEqual({ alg: 'RS512', kid: 'okta-key-1' });
    });

    it('a key the server does not have for the client is refused: invalid_client, as a TokenEndpointError', async () => {
      servers.auth.registerClientKey(CLIENT_ID, rsa.publicKey);
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const { instance } = connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: other });
      await expect(instance.get('/invoices')).rejects.toMatchObject({ name: 'TokenEndpointError', status: 401, error: 'invalid_client' });
    });
  });

  describe('the claims (RFC 7523 §3)', () => {
    beforeEach(() => servers.auth.registerClientKey(CLIENT_ID, p256.publicKey));

    it('iss = sub = client id, aud = token endpoint, exp - iat = 60 s, iat now, a fresh jti for every token request', async () => {
      const { handle } = connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: p256.privateKey });
      const before = Math.floor(Date.now() / 1000);
      for (let i = 0; i < 3; i += 1) {
        await handle.getToken();
        handle.invalidate();
      }
      const after = Math.floor(Date.now() / 1000);
      const sent = sentAssertions();
      expect(sent).toHaveLength(3);
      for (const { claims, request } of sent) {
        expect(request.answer?.status).toBe(200);
        expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
        expect(claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: servers.auth.tokenEndpoint });
        expect(claims.iat).toBeGreaterThanOrEqual(before);
        expect(claims.iat).toBeLessThanOrEqual(after);
        expect(claims.exp! - claims.iat!).toBe(60);
        expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(new Set(sent.map(({ claims }) => claims.jti)).size).toBe(3);
      expect(new Set(sent.map(({ assertion }) => assertion)).size).toBe(3);
    });

    it('assertionLifetime sets exp - iat', async () => {
      await connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: p256.privateKey, assertionLifetime: 300 }).handle.getToken();
      const [{ claims }] = sentAssertions();
      expect(claims.exp! - claims.iat!).toBe(300);
    });

    it("assertionAudience 'issuer': aud is the issuer, and the header says typ client-authentication+jwt", async () => {
      const { handle } = connect({
        tokenEndpointAuthMethod: 'private_key_jwt',
        privateKey: p256.privateKey,
        assertionAudience: 'issuer',
        issuer: servers.auth.issuer,
      });
      await handle.getToken();
      const [{ header, claims, request }] = sentAssertions();
      expect(request.answer?.status).toBe(200);
      expect(claims.aud).toBe(servers.auth.issuer);
      expect(header).toEqual({ alg: 'ES256', typ: 'client-authentication+jwt' });
    });

    it('an explicit assertionAudience is sent as is, without typ', async () => {
      servers.auth.override = (_req, res) => (
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"t","token_type":"Bearer"}'),
        true
      );
      await connect({
        tokenEndpointAuthMethod: 'private_key_jwt',
        privateKey: p256.privateKey,
        assertionAudience: 'https://login.example.com/',
      }).handle.getToken();
      const [{ header, claims }] = sentAssertions();
      expect(claims.aud).toBe('https://login.example.com/');
      expect(header).toEqual({ alg: 'ES256' });
    });
  });

  describe('client_secret_jwt', () => {
    it.each(['HS256', 'HS384', 'HS512'] as const)('%s: MACed with the client secret; the secret is not sent', async (alg) => {
      const { instance } = connect({
        tokenEndpointAuthMethod: 'client_secret_jwt',
        clientSecret: CLIENT_SECRET,
        ...(alg === 'HS256' ? {} : { signingAlgorithm: alg }),
      });
      expect((await instance.get('/invoices')).status).toBe(200);
      const [sent] = sentAssertions();
      expect(sent.request.assertion?.method).toBe('client_secret_jwt');
      expect(sent.request.body).toBe(expectedBody(sent.assertion));
      expect(sent.request.body).not.toContain(encodeURIComponent(CLIENT_SECRET));
      expect(sent.request.headers.authorization).toBeUndefined();
      expect(sent.header).toEqual({ alg });
      expect(sent.claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: servers.auth.tokenEndpoint });
      expect(sent.claims.exp! - sent.claims.iat!).toBe(60);
    });

    it('a wrong secret is refused: invalid_client', async () => {
      const { instance } = connect({ tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: 'not-the-secret' });
      await expect(instance.get('/invoices')).rejects.toMatchObject({
        code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
        status: 401,
        error: 'invalid_client',
      });
    });
  });

  it('a refused assertion is a token error, never replayed as a resource 401', async () => {
    const { instance } = connect({ tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: 'wrong', retries: 3 });
    await expect(instance.get('/invoices')).rejects.toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT' });
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests).toHaveLength(0);
  });
});

describe('a signature the crypto backend refuses', () => {
  // oauth2() checks the key against the algorithm, so only a backend failure gets here:
  // shown with a key that cannot make the signature asked for.
  it('is a ClientAssertionError naming the algorithm, with the reason and no key material', async () => {
    const settings = { algorithm: 'ES256', keyId: undefined, type: undefined, audience: 'https://as.example/token', lifetimeSeconds: 60 };
    const failure = await signClientAssertion(CLIENT_ID, rsa.privateKey, settings).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'ClientAssertionError', code: 'ERR_OAUTH2_CLIENT_ASSERTION' });
    const { message, cause } = failure as Error;
    expect(message).toMatch(/^No client assertion: signing the client assertion with ES256 failed: \S/);
    expect(cause).toBeInstanceOf(Error);
    expect(message).toBe(`No client assertion: signing the client assertion with ES256 failed: ${(cause as Error).message}`);
    const pkcs8 = pem(rsa.privateKey, 'pkcs8');
    const body = pkcs8.split('\n').slice(1, -2).join('');
    expect(JSON.stringify({ message, cause: (cause as Error).message })).not.toContain(body.slice(0, 64));
  });
});
