/**
 * `npm start`: the plugin against a real authorization server and a real protected API,
 * both embedded on loopback, with a trace of what goes over the wire. Exits by itself:
 * 0 when every claim of the demo held, 1 otherwise.
 */
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import axios, { type AxiosInstance } from 'axios';
import { oauth2, OAuth2Error, TokenEndpointError, type Logger, type OAuth2Options } from '../lib';
import { AuthorizationServer } from './servers/authorization-server';
import { ResourceServer } from './servers/resource-server';
import { statusCounts, Trace } from './trace';

// A hung demo must not hang CI; unref'd so it never keeps a finished demo alive.
setTimeout(() => {
  console.error('demo: still running after 20 s, giving up');
  process.exit(1);
}, 20_000).unref();

const CLIENT = { id: 'demo-client', secret: 'demo-secret-never-printed' };
/** The characters that break naive Basic encodings (RFC 6749 §2.3.1 form-encodes them first). */
const AWKWARD_CLIENT = { id: 'reports:eu-west/Zürich', secret: 'pässwörd: +/%&=' };
/** A client with no secret at all: it signs each token request with its private key (private_key_jwt). */
const KEY_CLIENT = { id: 'ledger-exporter', keys: generateKeyPairSync('ec', { namedCurve: 'P-256' }), keyId: 'ledger-2024' };

interface Scene {
  auth: AuthorizationServer;
  api: ResourceServer;
  trace: Trace;
}

/** An axios instance for the protected API, authorized by the plugin. */
function connect({ auth, api }: Scene, options: Partial<OAuth2Options> = {}): AxiosInstance {
  const client = axios.create({ baseURL: api.url });
  const credentials = options.tokenEndpointAuthMethod === 'private_key_jwt' ? {} : { clientSecret: CLIENT.secret };
  oauth2(client, { tokenEndpoint: auth.tokenEndpoint, clientId: CLIENT.id, ...credentials, ...options });
  return client;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A cold client: concurrent callers all wait for the same, single token request. */
async function concurrentColdStart(scene: Scene, client: AxiosInstance): Promise<void> {
  const { trace } = scene;
  trace.step('10 concurrent calls on a cold client share ONE token request');
  const responses = await Promise.all(range(1, 10).map((n) => client.get(`/invoices/${n}`)));
  trace.outcome(`10 callers got ${statusCounts(responses.map((r) => r.status))}`);
  trace.check('token requests', trace.stepTokenRequests, 1);
}

/** A warm client: the cached token is sent as is; the authorization server is not asked. */
async function cachedToken(scene: Scene, client: AxiosInstance): Promise<void> {
  const { trace } = scene;
  trace.step('More calls reuse the cached token');
  const statuses: number[] = [];
  for (const n of range(11, 13)) statuses.push((await client.get(`/invoices/${n}`)).status);
  trace.outcome(`3 sequential callers got ${statusCounts(statuses)}`);
  trace.check('token requests', trace.stepTokenRequests, 0);
}

/** A token refused by the API: the plugin fetches a new one and replays the request, body included. */
async function revokedToken(scene: Scene, client: AxiosInstance): Promise<void> {
  const { auth, api, trace } = scene;
  trace.step('A revoked token is answered 401: the plugin refreshes and replays');
  auth.revokeAll();
  trace.note('the authorization server revokes every token (the client is not told)');
  const response = await client.post('/invoices', { customer: 'ACME', amount: 120, currency: 'EUR' });
  trace.outcome(`the caller got ${statusCounts([response.status])}, never the 401`);
  trace.check('token requests', trace.stepTokenRequests, 1);
  // The API recorded both attempts: the replay must carry the same bytes (Couper drops the body).
  const [refused, replayed] = api.requests.slice(-2);
  trace.check('replayed body identical to the original', refused.body.equals(replayed.body), true);
}

/** A burst of 401s for the same old token: one refresh, shared by every replay. */
async function revokedDuringBurst(scene: Scene, client: AxiosInstance): Promise<void> {
  const { auth, trace } = scene;
  trace.step('20 concurrent calls after another revocation: 20× 401, still ONE token request');
  auth.revokeAll();
  trace.note('the authorization server revokes every token again');
  const responses = await Promise.all(range(1, 20).map((n) => client.get(`/reports/${n}`)));
  trace.outcome(`20 callers got ${statusCounts(responses.map((r) => r.status))}`);
  trace.check('token requests', trace.stepTokenRequests, 1);
  trace.check('401s replayed', trace.stepReplays, 20);
}

/** Bad credentials: a typed error with the RFC 6749 §5.2 fields, and no request reaches the API. */
async function wrongSecret(scene: Scene): Promise<void> {
  const { trace } = scene;
  trace.step('A wrong client secret: the caller gets a typed TokenEndpointError');
  const wrongSecret = 'wrong-secret-never-printed';
  const client = connect(scene, { clientSecret: wrongSecret });
  try {
    await client.get('/invoices/1');
    trace.outcome('the call succeeded?!');
    trace.check('error raised', false, true);
  } catch (error) {
    // `instanceof` and `code` let callers tell bad credentials from an unreachable server.
    if (!(error instanceof TokenEndpointError)) throw error;
    trace.outcome(`${error.name}: ${error.message}`);
    trace.outcome(`error.code = ${error.code}, error.status = ${error.status}, error.error = ${error.error}`);
    const printed = inspect(error) + JSON.stringify(error);
    trace.check('secret visible when the error is logged', printed.includes(wrongSecret), false);
  }
  trace.check('requests sent to the API', trace.stepApiRequests, 0);
}

/** Ids and secrets with ':', spaces, '%', '+', '/' and non-ASCII letters, with both auth methods. */
async function awkwardCredentials(scene: Scene): Promise<void> {
  const { trace } = scene;
  trace.step(`client_id ${JSON.stringify(AWKWARD_CLIENT.id)} with ':' and non-ASCII works with both auth methods`);
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    const client = connect(scene, { clientId: AWKWARD_CLIENT.id, clientSecret: AWKWARD_CLIENT.secret, tokenEndpointAuthMethod: method });
    const response = await client.get('/status');
    trace.outcome(`${method}: the caller got ${statusCounts([response.status])}`);
  }
  trace.check('token requests', trace.stepTokenRequests, 2);
}

/** private_key_jwt: no shared secret; each token request carries a fresh assertion the server verifies with the public key. */
async function privateKeyJwt(scene: Scene): Promise<void> {
  const { auth, trace } = scene;
  trace.step('private_key_jwt: the client signs a fresh assertion with its EC key; no secret exists');
  auth.registerClientKey(KEY_CLIENT.id, KEY_CLIENT.keys.publicKey);
  trace.note(`the authorization server knows only the public key of ${KEY_CLIENT.id} (kid ${KEY_CLIENT.keyId})`);
  const pem = KEY_CLIENT.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const client = connect(scene, {
    clientId: KEY_CLIENT.id,
    tokenEndpointAuthMethod: 'private_key_jwt',
    privateKey: pem,
    keyId: KEY_CLIENT.keyId,
  });
  const first = await client.get('/ledger/1');
  auth.revokeAll();
  trace.note('the authorization server revokes every token: the next token request signs a new assertion');
  const second = await client.get('/ledger/2');
  trace.outcome(`the caller got ${statusCounts([first.status, second.status])}`);
  const sent = auth.requests.slice(-2).map((request) => ({ request, assertion: request.params.get('client_assertion') ?? '' }));
  for (const { request, assertion } of sent) {
    const { alg, kid } = decodeProtectedHeader(assertion);
    const { iss, sub, aud, jti, iat, exp } = decodeJwt(assertion);
    trace.outcome(
      `assertion: alg ${alg}, kid ${kid}, iss = sub = ${iss === sub ? iss : '(differ)'}, aud ${String(aud)}, exp - iat = ${exp! - iat!} s, jti …${String(jti).slice(-6)}; verified: ${request.assertion !== undefined}`,
    );
  }
  trace.check('token requests', trace.stepTokenRequests, 2);
  trace.check('assertions verified by the server', sent.filter(({ request }) => request.assertion?.method === 'private_key_jwt').length, 2);
  trace.check('a fresh jti per token request', new Set(sent.map(({ assertion }) => decodeJwt(assertion).jti)).size, 2);
  trace.check(
    'Authorization header on the token requests',
    sent.some(({ request }) => request.headers.authorization !== undefined),
    false,
  );
}

/** A logger for the option `logger`: the plugin's own lines, printed as notes of the trace. */
function traceLogger(trace: Trace): Logger {
  const line = (level: string) => (_fields: object, message: string) => trace.note(`[${level}] ${message}`);
  return { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
}

/** A failing authorization server: one 503 is retried unseen; during an outage, requests fail fast and it is left alone. */
async function failingAuthorizationServer(scene: Scene): Promise<void> {
  const { auth, trace } = scene;
  trace.step('The authorization server stumbles, then goes down: retries, then a cooldown instead of a storm');
  let blips = 1;
  auth.override = (_req, res) => {
    if (blips-- <= 0) return false;
    res.writeHead(503).end();
    return true;
  };
  const client = connect(scene, { logger: traceLogger(trace), tokenRetry: { baseDelayMs: 50, maxDelayMs: 100 } });
  const first = await client.get('/orders/1');
  trace.outcome(`one 503, retried within the same token fetch: the caller got ${statusCounts([first.status])}`);
  trace.check('token requests for that call', trace.stepTokenRequests, 2);

  const before = auth.requests.length;
  auth.revokeAll();
  auth.override = (_req, res) => (res.writeHead(503).end(), true);
  trace.note('the authorization server answers 503 to everything, and every token is revoked; 10 callers loop for 2 s');
  const outcomes = { ok: 0, failed: 0 };
  const until = performance.now() + 2_000;
  await Promise.all(
    range(1, 10).map(async (n) => {
      while (performance.now() < until) {
        await client.get(`/orders/${n}`).then(
          () => (outcomes.ok += 1),
          (error: unknown) => {
            if (!(error instanceof OAuth2Error)) throw error;
            outcomes.failed += 1;
          },
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  );
  const duringOutage = auth.requests.length - before;
  trace.outcome(
    `${outcomes.failed} calls failed fast with the token endpoint's error; the token endpoint saw ${duringOutage} token requests`,
  );
  // Fetches at 0 s and after the 1 s cooldown, each with at most 3 attempts.
  trace.check('token requests during the 2 s outage, at most', Math.min(duringOutage, 6), duringOutage);

  auth.override = undefined;
  const back = performance.now();
  let recovered: number | undefined;
  while (recovered === undefined && performance.now() - back < 5_000) {
    await client.get('/orders/1').then(
      () => (recovered = performance.now() - back),
      () => new Promise((resolve) => setTimeout(resolve, 50)),
    );
  }
  trace.outcome(
    `the server is back: the first call succeeded ${recovered === undefined ? 'never' : `after ${Math.round(recovered)} ms`} (when the cooldown ended)`,
  );
  trace.check('recovered within the cooldown cap', recovered !== undefined, true);
}

async function main(): Promise<void> {
  const auth = await new AuthorizationServer({
    clients: { [CLIENT.id]: CLIENT.secret, [AWKWARD_CLIENT.id]: AWKWARD_CLIENT.secret },
    expiresIn: 3600,
  }).start();
  const api = await new ResourceServer((token) => auth.isValid(token)).start();
  const trace = new Trace(auth, api);
  const scene: Scene = { auth, api, trace };
  try {
    trace.intro([
      `Authorization server  ${auth.tokenEndpoint}`,
      `Protected API         ${api.url}  (200 with a valid bearer token, else 401)`,
    ]);
    // One client for steps 1–4, as an application would keep it: its token cache persists.
    const client = connect(scene);
    await concurrentColdStart(scene, client);
    await cachedToken(scene, client);
    await revokedToken(scene, client);
    await revokedDuringBurst(scene, client);
    await wrongSecret(scene);
    await awkwardCredentials(scene);
    await privateKeyJwt(scene);
    await failingAuthorizationServer(scene);
    trace.summary([
      [
        'token requests',
        auth.requests.length,
        'one per token needed, however many calls wait for it (and a few retries during the outage)',
      ],
      ['API requests', api.requests.length, 'replays included'],
      ['401s replayed', trace.replays, 'each one answered 200 with the refreshed token'],
    ]);
  } finally {
    // Closing the servers also closes the keep-alive connections axios pooled, so nothing holds the event loop.
    await Promise.all([api.stop(), auth.stop()]);
  }
  if (trace.failedChecks > 0) {
    console.error(`\n${trace.failedChecks} check(s) failed`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error('demo failed:', error);
  process.exitCode = 1;
});
