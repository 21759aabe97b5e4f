import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { inspect } from 'node:util';
import axios from 'axios';
import { SignJWT } from 'jose';
import { InvalidOptionsError, oauth2, type OAuth2Handle, type OAuth2Options } from '../lib';
import { CLIENT_ID, CLIENT_SECRET, useServers } from './support/servers';

/**
 * Neither the password of the password grant nor any assertion of the jwt-bearer grant
 * (each value the assertion function returned) leaks: a token endpoint that echoes them
 * back, in any encoding the client secret is scrubbed in, reaches no error's message,
 * stack, util.inspect (any depth, hidden properties too), JSON.stringify or toJSON(), in
 * any failure mode, and the handle inspects and serializes without them. The forbidden
 * strings are computed here, from the values given and what the server received.
 */

const USERNAME = 'jdoe:ü';
const PASSWORD = 'pä ss"w/o+rd&=%~leak-9c1e';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const IDP = 'https://idp.example.com';
const idpKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const form = (text: string) => new URLSearchParams([['', text]]).toString().slice(1);
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const json = (text: string) => JSON.stringify(text).slice(1, -1);
const asciiJson = (text: string) => json(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A secret in each encoding the client secret is scrubbed in. */
function encodings(secret: string, id: string): [string, string][] {
  return [
    ['raw', secret],
    ['form-encoded', form(secret)],
    ['percent-encoded', encodeURIComponent(secret)],
    ['percent-encoded, lower-case hex', lowerHex(encodeURIComponent(secret))],
    ['form-encoded, lower-case hex', lowerHex(form(secret))],
    ['JSON-escaped', json(secret)],
    ['JSON-escaped with \\u escapes', asciiJson(secret)],
    ['base64', b64(secret)],
    ['base64url', b64url(secret)],
    ['base64 of id:secret', b64(`${id}:${secret}`)],
    ['base64url of id:secret', b64url(`${id}:${secret}`)],
    ['base64 of the form-encoded id:secret', b64(`${form(id)}:${form(secret)}`)],
  ];
}

function renderings(value: unknown): string[] {
  const views = [inspect(value, { depth: Infinity }), inspect(value, { depth: Infinity, showHidden: true })];
  try {
    // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
    const json = JSON.stringify(value) as string | undefined;
    views.push(json ?? '');
  } catch {
    // A cycle would throw: nothing printed, nothing leaked.
  }
  if (value instanceof Error) {
    views.push(value.message, value.stack ?? '', String(value));
    const cause = (value as { cause?: unknown }).cause;
    if (cause !== undefined) views.push(inspect(cause, { depth: Infinity, showHidden: true }));
  }
  const toJSON = (value as { toJSON?: () => unknown } | null)?.toJSON;
  if (typeof toJSON === 'function') views.push(JSON.stringify(toJSON.call(value)));
  return views;
}

describe('no password or jwt-bearer assertion leaks', () => {
  const servers = useServers({ users: { [USERNAME]: PASSWORD } });
  /** Every assertion an assertion function of this test returned. */
  let returned: string[];

  beforeEach(() => {
    returned = [];
    servers.auth.registerAssertionIssuer(IDP, idpKey.publicKey);
  });

  async function freshAssertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ leak: 'marker-assertion-51d7' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(IDP)
      .setSubject('user-42')
      .setAudience(servers.auth.tokenEndpoint)
      .setJti(randomUUID())
      .setExpirationTime(now + 60)
      .sign(idpKey.privateKey);
    returned.push(jwt);
    return jwt;
  }

  /** The secrets of this test: the password in every encoding, and every assertion returned or received, whole and its signature. */
  function forbidden(): string[] {
    const received = servers.auth.requests.map((request) => request.params.get('assertion')).filter((a): a is string => a !== null);
    const assertions = [...new Set([...returned, ...received])];
    return [
      ...encodings(PASSWORD, USERNAME).map(([, text]) => text),
      'leak-9c1e',
      // The signature whole, and its start: a message that quotes a server value cut short must not quote part of it either.
      ...assertions.flatMap((assertion) => [
        ...encodings(assertion, '').map(([, text]) => text),
        assertion.split('.')[2],
        assertion.split('.')[2].slice(0, 24),
      ]),
    ];
  }

  function expectNoLeak(value: unknown) {
    const needles = forbidden();
    for (const view of renderings(value)) {
      for (const needle of needles) {
        if (view.includes(needle)) throw new Error(`leaked ${JSON.stringify(needle.slice(0, 40))} in:\n${view.slice(0, 1500)}`);
      }
    }
  }

  const grants: [string, () => Partial<OAuth2Options>][] = [
    [
      'password, client_secret_basic',
      () => ({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: 'password', username: USERNAME, password: PASSWORD }),
    ],
    [
      'password, client_secret_post',
      () => ({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        tokenEndpointAuthMethod: 'client_secret_post',
        grantType: 'password',
        username: USERNAME,
        password: PASSWORD,
      }),
    ],
    ['jwt-bearer function, no client authentication', () => ({ grantType: JWT_BEARER, assertion: () => freshAssertion() })],
    [
      'jwt-bearer function, client_secret_post',
      () => ({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        tokenEndpointAuthMethod: 'client_secret_post',
        grantType: JWT_BEARER,
        assertion: freshAssertion,
      }),
    ],
  ];

  function connect(options: Partial<OAuth2Options>): { instance: ReturnType<typeof axios.create>; handle: OAuth2Handle } {
    const instance = axios.create({ baseURL: servers.api.url });
    const handle = oauth2(instance, { tokenEndpoint: servers.auth.tokenEndpoint, ...options });
    return { instance, handle };
  }

  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => Promise.reject(new Error('expected a failure')),
      (e: unknown) => e,
    );
  const answerWith =
    (status: number, body: unknown) =>
    (_req: http.IncomingMessage, res: http.ServerResponse): boolean => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
      return true;
    };

  describe.each(grants)('%s', (_name, options) => {
    it('the handle inspects and serializes without them, before and after token requests', async () => {
      const { handle } = connect(options());
      expectNoLeak(handle);
      await handle.getToken();
      handle.invalidate();
      await handle.getToken();
      expect(servers.auth.requests.map((request) => request.answer?.status)).toEqual([200, 200]);
      expectNoLeak(handle);
    });

    it('a server echoing the whole request (header, raw and decoded body) into every text field: scrubbed', async () => {
      servers.auth.override = (req, res, received) => {
        const echo = (part: string) =>
          `${part}: ${req.headers.authorization ?? ''} ${received.body} ${decodeURIComponent(received.body.replace(/\+/g, ' '))}`;
        res
          .writeHead(400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: echo('error').slice(0, 200), error_description: echo('description'), error_uri: echo('uri') }));
        return true;
      };
      const error = await failureOf(connect(options()).instance.get('/r'));
      expect(error).toMatchObject({ name: 'TokenEndpointError', status: 400 });
      expect((error as Error).message).toContain('[REDACTED]');
      expect(servers.auth.requests).toHaveLength(1);
      expectNoLeak(error);
    });

    // A transient failure is retried (twice, by default), each attempt with its own fresh assertion.
    it.each([
      ['a 200 without a token', answerWith(200, { token_type: 'Bearer' }), 'InvalidTokenResponseError', 1],
      ['a 200 that is not JSON', answerWith(200, '<html>oops</html>'), 'InvalidTokenResponseError', 1],
      ['a 5xx without a body', answerWith(503, ''), 'TokenEndpointError', 3],
      [
        'a connection reset',
        (_req: http.IncomingMessage, res: http.ServerResponse): boolean => (res.socket?.destroy(), true),
        'TokenRequestError',
        3,
      ],
    ] as const)('%s', async (_case, answer, name, attempts) => {
      servers.auth.override = answer;
      const error = await failureOf(connect({ ...options(), tokenRetry: { baseDelayMs: 5, maxDelayMs: 10 } }).instance.get('/r'));
      expect(error).toMatchObject({ name });
      expect(servers.auth.requests).toHaveLength(attempts);
      expectNoLeak(error);
    });

    it('a server echoing them as token_type of a 200: scrubbed from the InvalidTokenResponseError', async () => {
      servers.auth.override = (_req, res, received) => {
        const secret = received.params.get('password') ?? received.params.get('assertion') ?? '';
        // Short enough to fit whatever part of token_type the message quotes.
        const echoed = secret.length > 30 ? secret.split('.')[2] : secret;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: 'tok', token_type: echoed }));
        return true;
      };
      const error = await failureOf(connect(options()).handle.getToken());
      expect(error).toMatchObject({ name: 'InvalidTokenResponseError' });
      expectNoLeak(error);
    });

    it('a token endpoint refusing connections, and one timing out', async () => {
      const refused = await failureOf(connect({ ...options(), tokenEndpoint: 'http://127.0.0.1:1/token' }).handle.getToken());
      expect(refused).toMatchObject({ name: 'TokenRequestError' });
      expectNoLeak(refused);
      servers.auth.delayMs = 500;
      const timedOut = await failureOf(connect({ ...options(), backend: { timeout: 50 } }).handle.getToken());
      expect(timedOut).toMatchObject({ name: 'TokenTimeoutError' });
      expectNoLeak(timedOut);
    });

    it('the 401 replay whose token request is answered with an echo: scrubbed', async () => {
      const { instance } = connect(options());
      await instance.get('/r');
      servers.auth.revokeAll();
      servers.auth.override = (_req, res, received) => {
        res
          .writeHead(400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_grant', error_description: received.body }));
        return true;
      };
      const error = await failureOf(instance.get('/r'));
      expect(error).toMatchObject({ name: 'TokenEndpointError', error: 'invalid_grant' });
      expect(servers.api.requests.map((request) => request.status)).toEqual([200, 401]);
      expectNoLeak(error);
    });
  });

  describe('each encoding the client secret is scrubbed in', () => {
    /** Answers the token request with `echo(secret)` in error_description and error_uri. */
    function echoing(pick: (params: URLSearchParams) => string, encode: (secret: string) => string) {
      servers.auth.override = (_req, res, received) => {
        const echoed = encode(pick(received.params));
        res.writeHead(400, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            error: 'invalid_request',
            error_description: `bad <${echoed}>`,
            error_uri: `https://auth.test/e?v=${echoed}`,
          }),
        );
        return true;
      };
    }

    it.each(encodings(PASSWORD, USERNAME).map(([name], index) => [name, index] as const))('the password, %s', async (_name, index) => {
      echoing(
        () => PASSWORD,
        (secret) => encodings(secret, USERNAME)[index][1],
      );
      const error = await failureOf(connect(grants[0][1]()).handle.getToken());
      expect(error).toMatchObject({ name: 'TokenEndpointError', errorDescription: expect.stringContaining('bad <[REDACTED]>') as unknown });
      expectNoLeak(error);
    });

    it.each(encodings('x', '').map(([name], index) => [name, index] as const))(
      'the assertion returned for that request, %s',
      async (_name, index) => {
        echoing(
          (params) => params.get('assertion') ?? '',
          (secret) => encodings(secret, '')[index][1],
        );
        // No cooldown, so the next request sends a token request with a fresh assertion at once.
        const { handle } = connect({ ...grants[2][1](), tokenRetry: false });
        const error = await failureOf(handle.getToken());
        expect(error).toMatchObject({
          name: 'TokenEndpointError',
          errorDescription: expect.stringContaining('bad <[REDACTED]>') as unknown,
        });
        expectNoLeak(error);
        // The next request's fresh assertion is scrubbed as well.
        const again = await failureOf(handle.getToken());
        expect(returned).toHaveLength(2);
        expect(returned[1]).not.toBe(returned[0]);
        expectNoLeak(again);
      },
    );

    it("the assertion's signature alone", async () => {
      echoing(
        (params) => params.get('assertion') ?? '',
        (secret) => secret.split('.')[2],
      );
      const error = await failureOf(connect(grants[2][1]()).handle.getToken());
      expect(error).toMatchObject({ errorDescription: 'bad <[REDACTED]>' });
      expectNoLeak(error);
    });
  });

  it('a failing assertion function: the GrantAssertionError holds no earlier assertion', async () => {
    let calls = 0;
    const { handle } = connect({
      grantType: JWT_BEARER,
      assertion: async () => ((calls += 1) === 1 ? freshAssertion() : (42 as unknown as string)),
    });
    await handle.getToken();
    handle.invalidate();
    const error = await failureOf(handle.getToken());
    expect(error).toMatchObject({ name: 'GrantAssertionError' });
    expectNoLeak(error);
    expectNoLeak(handle);
  });

  it('InvalidOptionsError of every bad combination holding a password or an assertion', async () => {
    const assertion = await freshAssertion();
    const bad: Record<string, unknown>[] = [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, password: PASSWORD },
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, username: USERNAME, password: PASSWORD },
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: 'password', password: PASSWORD },
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: 'password', username: USERNAME, password: `${PASSWORD}\uD800` },
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: 'password', username: USERNAME, password: PASSWORD, assertion },
      { clientId: CLIENT_ID, grantType: 'password', username: USERNAME, password: PASSWORD, tokenEndpointAuthMethod: 'none' },
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, assertion },
      { grantType: JWT_BEARER, assertion, password: PASSWORD },
      { grantType: JWT_BEARER, assertion, extraParams: { assertion } },
      { grantType: JWT_BEARER, assertion, tokenEndpointAuthMethod: 'none', clientSecret: CLIENT_SECRET },
      { grantType: 'password', username: USERNAME, password: PASSWORD, extraParams: { password: PASSWORD } },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        connect(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expectNoLeak(error);
    }
    expect(servers.auth.requests).toHaveLength(0);
  });
});
