import { generateKeyPairSync, randomUUID } from 'node:crypto';
import axios from 'axios';
import { decodeJwt, SignJWT } from 'jose';
import { GrantAssertionError, oauth2, TokenEndpointError, type OAuth2Options } from '../lib';
import { CLIENT_ID, CLIENT_SECRET, useServers } from './support/servers';

/**
 * The password grant (RFC 6749 §4.3) and the jwt-bearer grant (RFC 7523 §2.1) on the wire,
 * with every client authentication method that makes sense for each, against the loopback
 * authorization server: it checks the user's password, verifies each grant assertion with
 * its issuer's key (iss, aud, exp, signature, a jti never seen before) and each client
 * assertion, and only then issues a token. The expected bodies are written out by hand.
 */

// Characters that must survive form encoding: space, +, &, =, %, /, non-ASCII.
const USERNAME = 'j doe+ü';
const PASSWORD = 'p&ss=wö rd%/';
const USERNAME_FORM = 'j+doe%2B%C3%BC';
const PASSWORD_FORM = 'p%26ss%3Dw%C3%B6+rd%25%2F';
const SECRET_FORM = 's3cr3t-Zq9%21xV';
const SCOPE_FORM = 'orders%3Aread+profile';
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET_FORM}`).toString('base64')}`;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const JWT_BEARER_FORM = 'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer';
const CLIENT_ASSERTION_TYPE_FORM = 'urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer';
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The identity provider whose JWTs the authorization server accepts as grants. */
const IDP = 'https://idp.example.com';
const idpKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** The client's own key, for private_key_jwt. */
const clientKey = generateKeyPairSync('ed25519');

describe('grants on the wire', () => {
  const servers = useServers({ users: { [USERNAME]: PASSWORD } });
  beforeEach(() => {
    servers.auth.registerAssertionIssuer(IDP, idpKey.publicKey);
    servers.auth.registerClientKey(CLIENT_ID, clientKey.publicKey);
  });

  /** A JWT from the identity provider for the user, audience the token endpoint, with a fresh jti. */
  function idpAssertion(subject = 'user-42', jti: string | null = randomUUID()): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(IDP)
      .setSubject(subject)
      .setAudience(servers.auth.tokenEndpoint)
      .setIssuedAt(now)
      .setExpirationTime(now + 60);
    return (jti === null ? jwt : jwt.setJti(jti)).sign(idpKey.privateKey);
  }

  /** A client assertion signed elsewhere with the client's registered key (RFC 7523 §2.2). */
  async function signedClientAssertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(servers.auth.tokenEndpoint)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(clientKey.privateKey);
  }

  function connect(options: Partial<OAuth2Options>) {
    const instance = axios.create({ baseURL: servers.api.url });
    const handle = oauth2(instance, { tokenEndpoint: servers.auth.tokenEndpoint, ...options });
    return { instance, handle };
  }

  /** The client-authentication part of a body, and the header, for each method. */
  const clientAuthPart = {
    basic: '',
    post: `&client_id=${CLIENT_ID}&client_secret=${SECRET_FORM}`,
    jwt: (assertion: string) => `&client_id=${CLIENT_ID}&client_assertion_type=${CLIENT_ASSERTION_TYPE_FORM}&client_assertion=${assertion}`,
  };

  type Method = [string, Partial<OAuth2Options>, 'basic' | 'post' | 'jwt', string | undefined];
  const methods: Method[] = [
    ['client_secret_basic', { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, 'basic', 'client_secret_basic'],
    [
      'client_secret_post',
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: 'client_secret_post' },
      'post',
      'client_secret_post',
    ],
    [
      'client_secret_jwt',
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: 'client_secret_jwt' },
      'jwt',
      'client_secret_jwt',
    ],
    [
      'private_key_jwt (privateKey)',
      { clientId: CLIENT_ID, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: clientKey.privateKey },
      'jwt',
      'private_key_jwt',
    ],
    [
      'private_key_jwt (clientAssertion function)',
      { clientId: CLIENT_ID, clientAssertion: () => signedClientAssertion() },
      'jwt',
      'private_key_jwt',
    ],
  ];

  /** Checks the one token request: its exact body and Authorization header, and that the server authenticated the client by `how`. */
  function expectTokenRequest(grantPart: string, how: Method[2], proved: string | undefined) {
    expect(servers.auth.requests).toHaveLength(1);
    const [request] = servers.auth.requests;
    expect(request.answer?.status).toBe(200);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    if (how === 'jwt') {
      const clientAssertion = request.params.get('client_assertion') ?? '';
      expect(clientAssertion).toMatch(JWS);
      expect(request.body).toBe(`${grantPart}&scope=${SCOPE_FORM}${clientAuthPart.jwt(clientAssertion)}`);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.assertion?.method).toBe(proved);
    } else {
      expect(request.body).toBe(`${grantPart}&scope=${SCOPE_FORM}${clientAuthPart[how]}`);
      expect(request.headers.authorization).toBe(how === 'basic' ? BASIC : undefined);
      expect(request.credentials).toEqual({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, via: how });
    }
    expect(request.grant?.clientAuthenticated).toBe(true);
  }

  describe("grantType 'password' (RFC 6749 §4.3)", () => {
    it.each(methods)('with %s: exact body, the user and the client both checked by the server', async (_name, auth, how, proved) => {
      const { instance } = connect({
        ...auth,
        grantType: 'password',
        username: USERNAME,
        password: PASSWORD,
        scope: ['orders:read', 'profile'],
      });
      expect((await instance.get('/orders')).status).toBe(200);
      expectTokenRequest(`grant_type=password&username=${USERNAME_FORM}&password=${PASSWORD_FORM}`, how, proved);
      expect(servers.auth.requests[0].grant).toMatchObject({ type: 'password', username: USERNAME });
    });

    it('a wrong password: TokenEndpointError invalid_grant, no API request', async () => {
      const { instance } = connect({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        grantType: 'password',
        username: USERNAME,
        password: 'wrong',
      });
      const error = await instance.get('/orders').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 400, error: 'invalid_grant' });
      expect(servers.api.requests).toHaveLength(0);
    });

    it('without scope and extraParams: nothing but the grant (and extraParams after the credentials)', async () => {
      const { handle } = connect({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        tokenEndpointAuthMethod: 'client_secret_post',
        grantType: 'password',
        username: USERNAME,
        password: PASSWORD,
        extraParams: { audience: 'orders' },
      });
      await handle.getToken();
      expect(servers.auth.requests[0].body).toBe(
        `grant_type=password&username=${USERNAME_FORM}&password=${PASSWORD_FORM}&client_id=${CLIENT_ID}&client_secret=${SECRET_FORM}&audience=orders`,
      );
    });
  });

  describe('grantType jwt-bearer (RFC 7523 §2.1)', () => {
    it.each(methods)('with %s: exact body, the assertion and the client both verified by the server', async (_name, auth, how, proved) => {
      const sent: string[] = [];
      const assertion = async () => {
        sent.push(await idpAssertion());
        return sent[sent.length - 1];
      };
      const { instance } = connect({ ...auth, grantType: JWT_BEARER, assertion, scope: 'orders:read profile' });
      expect((await instance.get('/orders')).status).toBe(200);
      expect(sent).toHaveLength(1);
      expectTokenRequest(`grant_type=${JWT_BEARER_FORM}&assertion=${sent[0]}`, how, proved);
      expect(servers.auth.requests[0].grant?.claims).toMatchObject({ iss: IDP, sub: 'user-42' });
    });

    it('without client authentication and without clientId (RFC 7523 §3.1): grant_type, assertion, scope only', async () => {
      const jwt = await idpAssertion();
      const { instance } = connect({ grantType: JWT_BEARER, assertion: jwt, scope: 'orders:read profile' });
      expect((await instance.get('/orders')).status).toBe(200);
      const [request] = servers.auth.requests;
      expect(request.body).toBe(`grant_type=${JWT_BEARER_FORM}&assertion=${jwt}&scope=${SCOPE_FORM}`);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.grant).toMatchObject({ type: JWT_BEARER, clientAuthenticated: false, claims: { sub: 'user-42' } });
    });

    it.each([
      ['implied by clientId without a secret', {}],
      ["tokenEndpointAuthMethod 'none' named", { tokenEndpointAuthMethod: 'none' as const }],
    ])('without client authentication, %s: client_id in the body, no secret, no header', async (_case, extra) => {
      const jwt = await idpAssertion();
      const { handle } = connect({ clientId: CLIENT_ID, grantType: JWT_BEARER, assertion: jwt, ...extra });
      await handle.getToken();
      const [request] = servers.auth.requests;
      expect(request.body).toBe(`grant_type=${JWT_BEARER_FORM}&assertion=${jwt}&client_id=${CLIENT_ID}`);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.grant?.clientAuthenticated).toBe(false);
      expect(request.answer?.status).toBe(200);
    });

    it('an assertion from an issuer the server does not trust: TokenEndpointError invalid_grant', async () => {
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(IDP)
        .setSubject('user-42')
        .setAudience(servers.auth.tokenEndpoint)
        .setExpirationTime(now + 60)
        .sign(stranger.privateKey);
      const { handle } = connect({ grantType: JWT_BEARER, assertion: forged });
      await expect(handle.getToken()).rejects.toMatchObject({ name: 'TokenEndpointError', status: 400, error: 'invalid_grant' });
    });

    describe('the assertion function', () => {
      it('is called once per token request, not per API request: concurrent requests share one call', async () => {
        let calls = 0;
        const { instance, handle } = connect({ grantType: JWT_BEARER, assertion: () => ((calls += 1), idpAssertion()) });
        expect(calls).toBe(0);
        await Promise.all(Array.from({ length: 5 }, () => instance.get('/orders')));
        expect(calls).toBe(1);
        await instance.get('/orders');
        expect(calls).toBe(1);
        handle.invalidate();
        await instance.get('/orders');
        expect(calls).toBe(2);
        expect(servers.auth.requests).toHaveLength(2);
      });

      it.each([
        ['sync', (jwts: string[]) => () => jwts.shift()!],
        ['async', (jwts: string[]) => async () => jwts.shift()!],
      ] as const)('a %s function: each token request sends what that call returned', async (_kind, make) => {
        const jwts = await Promise.all([idpAssertion('a'), idpAssertion('b'), idpAssertion('c')]);
        const expected = [...jwts];
        const { handle } = connect({ grantType: JWT_BEARER, assertion: make(jwts) });
        for (let i = 0; i < 3; i += 1) {
          await handle.getToken();
          handle.invalidate();
        }
        expect(servers.auth.requests.map((request) => request.params.get('assertion'))).toEqual(expected);
        expect(servers.auth.requests.map((request) => request.grant?.claims?.sub)).toEqual(['a', 'b', 'c']);
      });

      it('a fresh JWT each time passes a server that refuses a reused jti; the same one twice does not', async () => {
        const fresh = connect({ grantType: JWT_BEARER, assertion: () => idpAssertion() }).handle;
        await fresh.getToken();
        fresh.invalidate();
        await fresh.getToken();
        const [first, second] = servers.auth.requests.map((request) => decodeJwt(request.params.get('assertion') ?? ''));
        expect(first.jti).not.toBe(second.jti);
        const once = await idpAssertion();
        const stale = connect({ grantType: JWT_BEARER, assertion: () => once }).handle;
        await stale.getToken();
        stale.invalidate();
        await expect(stale.getToken()).rejects.toMatchObject({
          name: 'TokenEndpointError',
          error: 'invalid_grant',
          errorDescription: 'assertion jti already used',
        });
      });

      it('a string assertion (here without a jti) is sent as is, trimmed, with every token request', async () => {
        const jwt = await idpAssertion('user-42', null);
        const { handle } = connect({ grantType: JWT_BEARER, assertion: `  ${jwt}\n` });
        await handle.getToken();
        handle.invalidate();
        await handle.getToken();
        expect(servers.auth.requests.map((request) => request.body)).toEqual(
          [1, 2].map(() => `grant_type=${JWT_BEARER_FORM}&assertion=${jwt}`),
        );
      });

      it('a function that throws: GrantAssertionError with the cause, nothing sent; the next request asks again', async () => {
        const failure = new Error('identity provider unreachable');
        let calls = 0;
        const { handle } = connect({
          grantType: JWT_BEARER,
          assertion: () => ((calls += 1) === 1 ? Promise.reject(failure) : idpAssertion()),
        });
        const error = await handle.getToken().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GrantAssertionError);
        expect(error).toMatchObject({
          code: 'ERR_OAUTH2_GRANT_ASSERTION',
          message: 'No assertion for the jwt-bearer grant: the assertion function failed',
        });
        expect((error as Error).cause).toBe(failure);
        expect(servers.auth.requests).toHaveLength(0);
        await expect(handle.getToken()).resolves.toEqual(expect.any(String));
        expect(calls).toBe(2);
        expect(servers.auth.requests).toHaveLength(1);
      });

      it.each([
        ['an empty string', ' ', /returned an empty string/],
        ['undefined', undefined, /returned undefined; expected the JWT as a non-empty string/],
        ['a number', 42, /returned a number/],
      ])('a function returning %s: GrantAssertionError, nothing sent', async (_case, value, message) => {
        const { handle } = connect({ grantType: JWT_BEARER, assertion: () => value as string });
        const error = await handle.getToken().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GrantAssertionError);
        expect((error as Error).message).toMatch(message);
        expect(servers.auth.requests).toHaveLength(0);
      });
    });
  });

  describe('a 401 from the API is replayed with a token from a new grant request', () => {
    const cases: [string, () => Partial<OAuth2Options>, string][] = [
      [
        'password, client_secret_basic',
        () => ({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: 'password', username: USERNAME, password: PASSWORD }),
        'password',
      ],
      [
        'password, private_key_jwt',
        () => ({
          clientId: CLIENT_ID,
          tokenEndpointAuthMethod: 'private_key_jwt',
          privateKey: clientKey.privateKey,
          grantType: 'password',
          username: USERNAME,
          password: PASSWORD,
        }),
        'password',
      ],
      ['jwt-bearer, no client authentication', () => ({ grantType: JWT_BEARER, assertion: () => idpAssertion() }), JWT_BEARER],
      [
        'jwt-bearer, client_secret_post',
        () => ({
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          tokenEndpointAuthMethod: 'client_secret_post',
          grantType: JWT_BEARER,
          assertion: () => idpAssertion(),
        }),
        JWT_BEARER,
      ],
    ];

    it.each(cases)('%s', async (_name, options, grantType) => {
      const { instance } = connect(options());
      await instance.post('/orders', { id: 1 });
      // The server forgets every token: the cached one is now refused.
      servers.auth.revokeAll();
      const replayed = await instance.post('/orders', { id: 2 });
      expect(replayed.status).toBe(200);
      expect(servers.api.requests.map((request) => request.status)).toEqual([200, 401, 200]);
      expect(servers.api.requests[2].body.toString()).toBe('{"id":2}');
      expect(servers.auth.requests).toHaveLength(2);
      expect(servers.auth.requests.map((request) => [request.params.get('grant_type'), request.answer?.status])).toEqual([
        [grantType, 200],
        [grantType, 200],
      ]);
      const [firstToken, secondToken] = servers.auth.requests.map((request) => request.answer?.token);
      expect(servers.api.requests[2].headers.authorization).toBe(`Bearer ${secondToken}`);
      expect(secondToken).not.toBe(firstToken);
      if (grantType === JWT_BEARER) {
        const [first, second] = servers.auth.requests.map((request) => request.params.get('assertion'));
        expect(second).not.toBe(first);
      }
    });
  });
});
