import http from 'node:http';
import { inspect } from 'node:util';
import axios from 'axios';
import { oauth2, type OAuth2Options } from '../lib';
import { AuthorizationServer } from '../examples/servers/authorization-server';
import { ResourceServer } from '../examples/servers/resource-server';
import { listenOnLoopback, type Listening } from '../examples/servers/listen';
import { basicCredentials, formEncode } from './support/encodings';

const CLIENT_ID = 'leak-test:client';
/** Distinctive, and full of characters that change under encoding. */
const SECRET = 'S3cr3t ü:%+/&= zebra-9f1c';
const LEAKY_TOKEN = 'leaky-access-token-5d2e';
/** A secret with a tab in it, which the server text clean-up turns into a space. */
const CONTROL_SECRET = 'ctrl\tsecret-walrus-31';

/** Every way an error can be printed or shipped to a log. */
function renderings(error: unknown): string[] {
  // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
  const views = [inspect(error, { depth: Infinity }), (JSON.stringify(error) as string | undefined) ?? ''];
  if (error instanceof Error) views.push(error.message, error.stack ?? '');
  const toJSON = (error as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') views.push(JSON.stringify(toJSON.call(error)));
  return views;
}

describe('no credential leaks in any error', () => {
  let auth: AuthorizationServer;
  let api: ResourceServer;
  let slow: Listening;

  beforeAll(async () => {
    auth = await new AuthorizationServer({ clients: { [CLIENT_ID]: SECRET } }).start();
    api = await new ResourceServer((token) => auth.isValid(token)).start();
    // A resource that answers 500, or never, depending on the path.
    slow = await listenOnLoopback((req, res) => {
      if (req.url === '/500') res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom');
    });
  });
  afterAll(async () => {
    await Promise.all([auth.stop(), api.stop(), slow.close()]);
  });
  afterEach(() => {
    auth.override = undefined;
    auth.delayMs = 0;
  });

  /** The strings that must never appear: the secret in each encoding, the Basic credentials, every access token. */
  function forbidden(): string[] {
    return [
      SECRET,
      'zebra-9f1c',
      'walrus-31',
      'ctrl secret',
      'ctrl\tsecret',
      formEncode(SECRET),
      encodeURIComponent(SECRET),
      basicCredentials(CLIENT_ID, SECRET),
      LEAKY_TOKEN,
      ...auth.everIssued,
    ];
  }

  function expectNoLeak(error: unknown) {
    expect(error).toBeDefined();
    for (const view of renderings(error)) {
      for (const secret of forbidden()) {
        if (view.includes(secret)) throw new Error(`leaked ${JSON.stringify(secret)} in:\n${view.slice(0, 2000)}`);
      }
    }
  }

  function client(options: Partial<OAuth2Options> = {}) {
    const instance = axios.create({ baseURL: api.url });
    const handle = oauth2(instance, {
      tokenEndpoint: auth.tokenEndpoint,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      origins: '*',
      ...options,
    });
    return { instance, handle };
  }

  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => Promise.reject(new Error('expected a failure')),
      (e: unknown) => e,
    );

  const answer = (status: number, body: string) => {
    auth.override = (_req, res) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
      return true;
    };
  };

  type Scenario = [string, string, () => Promise<unknown>];
  const scenarios: Scenario[] = [
    [
      'token endpoint 401 invalid_client',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => failureOf(client({ clientId: 'unknown-client' }).instance.get('/r')),
    ],
    [
      'token endpoint echoing the request in error_description',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        auth.override = (req, res, received) => {
          const echo = `${req.headers.authorization} ${received.body} ${SECRET}`;
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: echo, error_uri: echo }));
          return true;
        };
        return failureOf(client().instance.get('/r'));
      },
    ],
    [
      'client_secret_post with an echoing token endpoint',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        auth.override = (_req, res, received) => {
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: received.body }));
          return true;
        };
        return failureOf(client({ tokenEndpointAuthMethod: 'client_secret_post' }).instance.get('/r'));
      },
    ],
    [
      'token endpoint 500 with HTML',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => (answer(500, '<h1>oops</h1>'), failureOf(client().instance.get('/r'))),
    ],
    [
      '200 with a non-Bearer token',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      async () => (answer(200, JSON.stringify({ access_token: LEAKY_TOKEN, token_type: 'mac' })), failureOf(client().instance.get('/r'))),
    ],
    [
      '200 with a token holding CRLF',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      async () => (
        answer(200, JSON.stringify({ access_token: `${LEAKY_TOKEN}\r\nX: y`, token_type: 'Bearer' })),
        failureOf(client().instance.get('/r'))
      ),
    ],
    [
      'token endpoint resetting mid-response',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      async () => {
        auth.override = (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
          res.write('{"access_token":"');
          setTimeout(() => res.socket?.destroy(), 10);
          return true;
        };
        return failureOf(client().instance.get('/r'));
      },
    ],
    [
      'token endpoint timing out',
      'ERR_OAUTH2_TOKEN_TIMEOUT',
      async () => ((auth.delayMs = 1_000), failureOf(client({ backend: { timeout: 100 } }).instance.get('/r'))),
    ],
    [
      'token endpoint refusing connections',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      async () => failureOf(client({ tokenEndpoint: 'http://127.0.0.1:1/token' }).instance.get('/r')),
    ],
    [
      'resource answering 401 after every replay',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        try {
          return await failureOf(client({ retries: 2 }).instance.post('/r', { note: 'x' }));
        } finally {
          api.alwaysUnauthorized = false;
        }
      },
    ],
    ['resource answering 500', 'ERR_BAD_RESPONSE', async () => failureOf(client().instance.get(`${slow.url}/500`))],
    ['resource refusing connections', 'ECONNREFUSED', async () => failureOf(client().instance.get('http://127.0.0.1:1/r'))],
    ['resource timing out', 'ECONNABORTED', async () => failureOf(client().instance.get(`${slow.url}/hang`, { timeout: 100 }))],
    [
      'request aborted while in flight',
      'ERR_CANCELED',
      async () => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        return failureOf(client().instance.get(`${slow.url}/hang`, { signal: controller.signal }));
      },
    ],
    [
      'request aborted while waiting for its token',
      'ERR_CANCELED',
      async () => {
        auth.delayMs = 300;
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        return failureOf(client().instance.get('/r', { signal: controller.signal }));
      },
    ],
    [
      'resource answering 401, through a keep-alive agent',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        const agent = new http.Agent({ keepAlive: true });
        try {
          const { instance } = client({ retries: 1 });
          await failureOf(instance.get('/r', { httpAgent: agent })); // leaves a pooled socket behind
          return await failureOf(instance.get('/r', { httpAgent: agent }));
        } finally {
          api.alwaysUnauthorized = false;
          agent.destroy();
        }
      },
    ],
    [
      'resource answering 401 to a streamed response',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        try {
          return await failureOf(client().instance.get('/r', { responseType: 'stream' }));
        } finally {
          api.alwaysUnauthorized = false;
        }
      },
    ],
    [
      'token endpoint echoing a secret with controls in a long description',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        auth.override = (_req, res) => {
          // Once whole, once across the 1,000-character cut.
          const description = `${'x'.repeat(500)}${CONTROL_SECRET}${'x'.repeat(480)}${CONTROL_SECRET}`;
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: description }));
          return true;
        };
        auth.registerClient(CLIENT_ID, CONTROL_SECRET);
        try {
          return await failureOf(client({ clientSecret: CONTROL_SECRET }).instance.get('/r'));
        } finally {
          auth.registerClient(CLIENT_ID, SECRET);
        }
      },
    ],
    [
      'request aborted while waiting for the token of its replay',
      'ERR_CANCELED',
      async () => {
        const { instance } = client();
        await instance.get('/r');
        auth.revokeAll();
        auth.delayMs = 300;
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        return failureOf(instance.get('/r', { signal: controller.signal }));
      },
    ],
    [
      'request aborted before it starts, with a token cached',
      'ERR_CANCELED',
      async () => {
        const { instance, handle } = client();
        await handle.getToken();
        const controller = new AbortController();
        controller.abort();
        return failureOf(instance.get('/r', { signal: controller.signal }));
      },
    ],
    ['invalid options', 'ERR_OAUTH2_INVALID_OPTIONS', async () => failureOf(Promise.resolve().then(() => client({ retries: -1 })))],
  ];

  it.each(scenarios)('%s (%s)', async (_name, code, run) => {
    const error = await run();
    expect(error).toMatchObject({ code });
    expectNoLeak(error);
  });

  it('the handle and the authorized instance do not reveal the secret or the token when inspected', async () => {
    const { instance, handle } = client();
    await instance.get('/r');
    const token = await handle.getToken();
    for (const view of [inspect(handle, { depth: Infinity }), inspect(instance, { depth: 6 })]) {
      expect(view).not.toContain('zebra-9f1c');
      expect(view).not.toContain(token);
    }
  });
});
