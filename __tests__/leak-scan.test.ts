import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { SignJWT } from 'jose';
import { clientAssertionFromFile, oauth2, type OAuth2Handle, type OAuth2Options } from '../lib';
import { AuthorizationServer, type ReceivedTokenRequest } from '../examples/servers/authorization-server';
import { listenOnLoopback, readBody, sendJson, type Listening } from '../examples/servers/listen';
import { basicCredentials, formEncode } from './support/encodings';

/**
 * The leak scan (issue 8, "What it must show", second bullet). Every failure mode of the
 * README's "Failure modes" table (and every error class of "Errors") is driven while other
 * traffic is in flight in the same process:
 *
 * - authorized API requests held open by the server, on the global agent and on a
 *   keep-alive `httpAgent` the app passes, after finished ones that left pooled sockets
 *   whose last request carried a bearer token;
 * - two token requests held open by a slow authorization server (Basic and post), on
 *   other handles;
 * - plain axios calls without the plugin on the global agent, one held open, one finished
 *   (and, once, on the app's agent);
 * - failing requests of the background instance (a 500, a non-allowed origin);
 * - token requests held open for clients of the other methods and grants (issue 9):
 *   private_key_jwt with a PEM key and with a JWK, client_secret_jwt, a clientAssertion
 *   function, clientAssertionFromFile, the password grant and the jwt-bearer grant.
 *
 * Each of those methods and grants also meets echoing token endpoints, and the
 * ClientAssertionError / GrantAssertionError failures are driven (file removed or emptied
 * after a first read, empty file, throwing or rejecting function, no string). Forbidden
 * besides: the HMAC secret and the password in every encoding of the client secret, the
 * private keys' PEM base64 lines and JWK d/p/q/dp/dq/qi, and every client and jwt-bearer
 * assertion handed out or received by a server, whole and its signature segment.
 *
 * Every error the app receives in the run (the failure's own, the background's, and one
 * from a request to a non-allowed origin on each instance of the scenario) is searched,
 * in its message, stack, util.inspect at depth Infinity, JSON.stringify and toJSON(), for
 * the client secret in every encoding the README lists (computed here, not imported), the
 * Basic credentials, and every access token any server ever sent. Each error is scanned
 * when it arrives (traffic still in flight), after its scenario, and once more at the end
 * of the file against every token issued in the whole run. Errors of plain axios calls
 * never pass through the plugin: they are searched for the credentials only, when they
 * arrive (token requests never use the app's agents); the bearer tokens of the app's own
 * requests on its own agents are the app's business.
 */

const CLIENT_ID = 'leak-scan:client/ü';
/**
 * Changes under every encoding below (space, quote, backslash, non-ASCII, and each of
 * : % + / & = ~ ?), and chosen so that base64 of it and of id:secret hold "+" or "/" and
 * end in padding: their base64 and base64url differ.
 */
const SECRET = 'Qu0kka-S3cr3t "sc\\an"~~ ü:%+/&=~ yak-7e3b??';
/** A wrong secret of the app's configuration: as secret as the right one. */
const WRONG_SECRET = 'wr0ng "secret" ö/+ emu-41c2';
/** Distinctive heads and tails of the secrets: a partial echo (cut text) must not show them either. */
const FRAGMENTS = ['Qu0kka-S3cr3t', 'yak-7e3b', 'wr0ng', 'emu-41c2', 'hm4c', 'ibex-58d1', 'leak-9c1e'];

// The other client authentication methods and grants (issue 9): their clients, keys and secrets.
const PEM_CLIENT = 'leak-scan:pkjwt-pem';
const JWK_CLIENT = 'leak-scan:pkjwt-jwk';
const HMAC_CLIENT = 'leak-scan:hmac/ü';
const FN_CLIENT = 'leak-scan:assertion-fn';
const FILE_CLIENT = 'leak-scan:assertion-file';
/** The HMAC secret of client_secret_jwt: changes under every encoding, as SECRET does. */
const HMAC_SECRET = 'hm4c "S3cr3t" \\ ü:%+/&=~ ibex-58d1??';
const USERNAME = 'leak-scan:user/ö';
/** The password of the password grant: changes under every encoding, as SECRET does. */
const PASSWORD = 'pä ss"w\\o+rd&=%~/ leak-9c1e??';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The issuer of the jwt-bearer grant assertions, and of the assertions the clientAssertion function and file hand out. */
const IDP = 'https://idp.leak-scan.invalid';
const pemKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwkKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const assertionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const idpKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** private_key_jwt's key as a PKCS#1 PEM string, and the other one as a private JWK (d, p, q, dp, dq, qi). */
const RSA_PEM = pemKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const RSA_JWK = jwkKey.privateKey.export({ format: 'jwk' });

/** Every (client id, secret) pair a handle of this file is configured with (the password with its username). */
const CREDENTIALS: readonly (readonly [string, string])[] = [
  [CLIENT_ID, SECRET],
  [CLIENT_ID, WRONG_SECRET],
  [HMAC_CLIENT, HMAC_SECRET],
  [USERNAME, PASSWORD],
];

// ---------------------------------------------------------------------------------------
// The forbidden strings, computed independently of lib/.

const lowerHex = (text: string): string => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const jsonEscaped = (text: string): string => JSON.stringify(text).slice(1, -1);
const jsonEscapedAscii = (text: string): string =>
  jsonEscaped(text).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

interface Needle {
  what: string;
  text: string;
}

/**
 * The client secret in each form of the README's list ("What is kept out of errors"): as
 * given; form encoding and encodeURIComponent, upper- and lower-case hex; JSON string
 * escaped, with and without \u escapes; base64 and base64url of the secret, of
 * `id:secret`, and of the Basic credentials as sent (which is also the Basic value).
 */
function credentialEncodings(clientId: string, clientSecret: string): Needle[] {
  const basicPlain = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return [
    { what: 'secret, raw', text: clientSecret },
    { what: 'secret, form-encoded', text: formEncode(clientSecret) },
    { what: 'secret, form-encoded, lower-case hex', text: lowerHex(formEncode(clientSecret)) },
    { what: 'secret, encodeURIComponent', text: encodeURIComponent(clientSecret) },
    { what: 'secret, encodeURIComponent, lower-case hex', text: lowerHex(encodeURIComponent(clientSecret)) },
    { what: 'secret, JSON-escaped', text: jsonEscaped(clientSecret) },
    { what: 'secret, JSON-escaped with \\u escapes', text: jsonEscapedAscii(clientSecret) },
    { what: 'base64(secret)', text: base64(clientSecret) },
    { what: 'base64url(secret)', text: base64url(clientSecret) },
    { what: 'base64(id:secret)', text: base64(`${clientId}:${clientSecret}`) },
    { what: 'base64url(id:secret)', text: base64url(`${clientId}:${clientSecret}`) },
    { what: 'Basic credentials', text: basicCredentials(clientId, clientSecret) },
    { what: 'base64url(Basic credentials)', text: base64url(basicPlain) },
  ];
}

/** What the scan searches for: each form, base64 without its padding, so that padded and unpadded occurrences both match. */
function credentialNeedles(clientId: string, clientSecret: string): Needle[] {
  return credentialEncodings(clientId, clientSecret).map(({ what, text }) => ({
    what: `${what} [${clientId}]`,
    text: what.startsWith('base64') || what === 'Basic credentials' ? text.replace(/=+$/, '') : text,
  }));
}

/** An access token, and the forms of it a printer could produce (for a base64url token most coincide). */
function tokenNeedles(token: string): Needle[] {
  return [
    { what: 'access token', text: token },
    { what: 'access token, encodeURIComponent', text: encodeURIComponent(token) },
    { what: 'access token, form-encoded', text: formEncode(token) },
    { what: 'access token, JSON-escaped', text: jsonEscaped(token) },
    { what: 'base64(access token)', text: base64(token).replace(/=+$/, '') },
  ];
}

/** A private key's material: each base64 line of its PEM forms (as given, PKCS#8), and its private JWK members. */
function keyNeedles(name: string, key: KeyObject, givenPem?: string): Needle[] {
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  const pems = [key.export({ type: 'pkcs8', format: 'pem' }).toString(), ...(givenPem === undefined ? [] : [givenPem])];
  return [
    ...['d', 'p', 'q', 'dp', 'dq', 'qi'].flatMap((member) =>
      typeof jwk[member] === 'string' ? [{ what: `${name}, JWK ${member}`, text: jwk[member] }] : [],
    ),
    ...pems.flatMap((pem) =>
      pem
        .split('\n')
        .filter((line) => line.length >= 24 && !line.startsWith('-----'))
        .map((line) => ({ what: `${name}, PEM line`, text: line })),
    ),
  ];
}

/** A client or grant assertion: whole, its signature segment, and the forms a printer could produce. */
function assertionNeedles(what: string, assertion: string): Needle[] {
  const signature = assertion.split('.')[2] ?? '';
  return [
    { what, text: assertion },
    { what: `${what}, JSON-escaped`, text: jsonEscaped(assertion) },
    { what: `${what}, form-encoded`, text: formEncode(assertion) },
    { what: `${what}, signature`, text: signature.length >= 16 ? signature : '' },
  ];
}

function unique(needles: Needle[]): Needle[] {
  const byText = new Map<string, Needle>();
  for (const needle of needles) if (needle.text !== '' && !byText.has(needle.text)) byText.set(needle.text, needle);
  return [...byText.values()];
}

// ---------------------------------------------------------------------------------------
// Loopback servers.

class Gate {
  open!: () => void;
  readonly promise = new Promise<void>((resolve) => {
    this.open = resolve;
  });
}

/** Polls a condition every 2 ms; fails after 5 s, naming what it waited for. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface ApiRequest {
  path: string;
  authorization: string | undefined;
}

/**
 * A protected API: 200 for a valid bearer token, else 401. `/held/…` waits for `gate`
 * (while one is set) before answering; `/403`, `/500` answer so; `/reset` drops the
 * connection before answering, `/reset-mid` in the middle of the body; `/hang` never answers.
 */
class Api {
  readonly requests: ApiRequest[] = [];
  held = 0;
  gate: Gate | undefined;
  alwaysUnauthorized = false;
  #listening: Listening | undefined;

  constructor(private readonly isValid: (token: string) => boolean) {}

  get url(): string {
    return this.#listening!.url;
  }

  async start(): Promise<this> {
    this.#listening = await listenOnLoopback((req, res) => void this.#handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await this.#listening?.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await readBody(req);
    const path = new URL(req.url ?? '/', 'http://api.invalid').pathname;
    this.requests.push({ path, authorization: req.headers.authorization });
    switch (path) {
      case '/hang':
        return;
      case '/reset':
        return void req.socket.destroy();
      case '/reset-mid':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"ok":');
        return void setTimeout(() => req.socket.destroy(), 20);
      case '/403': {
        sendJson(res, 403, { error: 'insufficient_scope' });
        return;
      }
      case '/500': {
        sendJson(res, 500, { error: 'server_error' });
        return;
      }
    }
    const gate = this.gate;
    if (path.startsWith('/held') && gate) {
      this.held++;
      await gate.promise;
      this.held--;
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (this.alwaysUnauthorized || token === undefined || !this.isValid(token)) {
      sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    sendJson(res, 200, { ok: true, path });
  }
}

// ---------------------------------------------------------------------------------------
// What the app receives, and the scan.

type Scope = 'plugin' | 'plain';

interface Received {
  label: string;
  error: unknown;
  /** 'plain': an error of a call without the plugin, searched for the credentials only. */
  scope: Scope;
}

/**
 * jest-circus keeps the running test in an AsyncLocalStorage, and Node copies that store
 * onto every async resource created during a test (socket handles, timers): a deep
 * inspection of anything that reaches a socket (a plain axios error does, through its
 * agent) prints the whole test runner's state, tens of MB, the failure messages of earlier
 * tests included. That state is the runner's, not the app's: while an error is rendered,
 * those store properties are made non-enumerable (values untouched), then put back.
 */
function withoutRunnerContext<T>(root: unknown, render: () => T): T {
  const hidden: [object, symbol][] = [];
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || ArrayBuffer.isView(value))
      continue;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (!descriptor || !('value' in descriptor)) continue;
      // util.inspect prints an error's cause and errors even though they are not enumerable.
      const printed = descriptor.enumerable === true || (value instanceof Error && (key === 'cause' || key === 'errors'));
      if (!printed) continue;
      if (typeof key === 'symbol' && key.description === 'kResourceStore' && descriptor.configurable) hidden.push([value, key]);
      else pending.push(descriptor.value);
    }
    if (value instanceof Map) for (const [k, v] of value) pending.push(k, v);
    if (value instanceof Set) for (const v of value) pending.push(v);
  }
  for (const [holder, key] of hidden) Object.defineProperty(holder, key, { enumerable: false });
  try {
    return render();
  } finally {
    for (const [holder, key] of hidden) Object.defineProperty(holder, key, { enumerable: true });
  }
}

/** Every way an error is printed or shipped to a log. A printer that throws yields its message. */
function renderings(error: unknown): [string, string][] {
  const views: [string, string][] = [];
  const add = (name: string, render: () => unknown): void => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- printed as a logger would print it, `[object Object]` included
      views.push([name, String(render() ?? '')]);
    } catch (thrown) {
      views.push([name, `threw ${String(thrown)}`]);
    }
  };
  const object = error as { message?: unknown; stack?: unknown; toJSON?: () => unknown } | null | undefined;
  withoutRunnerContext(error, () => {
    add('message', () => (error instanceof Error ? error.message : object?.message));
    add('stack', () => object?.stack);
    add('util.inspect', () => inspect(error, { depth: Infinity }));
    add('JSON.stringify', () => JSON.stringify(error));
    add('toJSON()', () => (typeof object?.toJSON === 'function' ? JSON.stringify(object.toJSON()) : ''));
  });
  return views;
}

describe('leak scan: every failure mode, with token and API requests in flight on shared and private agents', () => {
  let auth: AuthorizationServer; // the scenarios' authorization server (faults injected here)
  let bgAuth: AuthorizationServer; // the background's: holds token requests with scope "held"
  let api: Api; // the scenarios' API: accepts tokens of `auth`
  let bgApi: Api; // the background's API: accepts tokens of `bgAuth`
  let foreign: Api; // an origin no instance allows: always 401
  /** The keep-alive agent the app passes as `httpAgent` on some requests. */
  let appAgent: http.Agent;
  /** Tokens the fault scenarios sent in (unusable) token responses. */
  const servedTokens: string[] = [];
  const everyError: Received[] = [];
  /** Every assertion a clientAssertion function, an assertion file or a jwt-bearer assertion function of this file handed out. */
  const minted: string[] = [];
  /** Holds the assertion files of clientAssertionFromFile(). */
  let dir: string;
  let bgTokenGate = new Gate();
  let bgApiGate = new Gate();
  let bgTokenHeld = 0;

  beforeAll(async () => {
    auth = await new AuthorizationServer({ clients: { [CLIENT_ID]: SECRET } }).start();
    bgAuth = await new AuthorizationServer({ clients: { [CLIENT_ID]: SECRET } }).start();
    bgAuth.override = async (_req, _res, received) => {
      if (received.params.get('scope') === 'held') {
        bgTokenHeld++;
        await bgTokenGate.promise;
        bgTokenHeld--;
      }
      return false;
    };
    for (const server of [auth, bgAuth]) {
      server.registerClientKey(PEM_CLIENT, pemKey.publicKey);
      server.registerClientKey(JWK_CLIENT, jwkKey.publicKey);
      server.registerClient(HMAC_CLIENT, HMAC_SECRET);
      server.registerClientKey(FN_CLIENT, assertionKey.publicKey);
      server.registerClientKey(FILE_CLIENT, assertionKey.publicKey);
      server.registerUser(USERNAME, PASSWORD);
      server.registerAssertionIssuer(IDP, idpKey.publicKey);
    }
    dir = mkdtempSync(path.join(tmpdir(), 'leak-scan-'));
    api = await new Api((token) => auth.isValid(token)).start();
    bgApi = await new Api((token) => bgAuth.isValid(token)).start();
    foreign = await new Api(() => false).start();
    appAgent = new http.Agent({ keepAlive: true });
  });
  afterAll(async () => {
    bgTokenGate.open();
    bgApiGate.open();
    appAgent.destroy();
    await Promise.all([auth.stop(), bgAuth.stop(), api.stop(), bgApi.stop(), foreign.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  // ---- The other client authentication methods and grants (issue 9).

  /** A client assertion (RFC 7523 §2.2) signed elsewhere, as a workload identity would hand it out: fresh jti, for `server`. */
  async function mintClientAssertion(clientId: string, server: AuthorizationServer): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(server.tokenEndpoint)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(assertionKey.privateKey);
    minted.push(jwt);
    return jwt;
  }

  /** A jwt-bearer grant assertion (RFC 7523 §2.1) of the trusted issuer, for `server`. */
  async function mintGrantAssertion(server: AuthorizationServer): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(IDP)
      .setSubject('user-42')
      .setAudience(server.tokenEndpoint)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(idpKey.privateKey);
    minted.push(jwt);
    return jwt;
  }

  let files = 0;
  /** A new assertion file holding a fresh client assertion of FILE_CLIENT for `server`. */
  async function assertionFile(server: AuthorizationServer): Promise<string> {
    const file = path.join(dir, `assertion-${files++}`);
    writeFileSync(file, `${await mintClientAssertion(FILE_CLIENT, server)}\n`);
    return file;
  }

  /**
   * [name, the options of a client using it against `server`, the (id, secret) pairs that
   * client is configured with (what an echoing server may send back encoded)].
   */
  type OtherMethod = [string, (server: AuthorizationServer) => Promise<Partial<OAuth2Options>>, readonly (readonly [string, string])[]];
  const OTHER_METHODS: OtherMethod[] = [
    [
      'private_key_jwt, PEM key',
      async () => ({
        clientId: PEM_CLIENT,
        clientSecret: undefined,
        tokenEndpointAuthMethod: 'private_key_jwt',
        privateKey: RSA_PEM,
        keyId: 'leak-scan-pem',
      }),
      [],
    ],
    [
      'private_key_jwt, JWK',
      async () => ({ clientId: JWK_CLIENT, clientSecret: undefined, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: RSA_JWK }),
      [],
    ],
    [
      'client_secret_jwt',
      async () => ({ clientId: HMAC_CLIENT, clientSecret: HMAC_SECRET, tokenEndpointAuthMethod: 'client_secret_jwt' }),
      [[HMAC_CLIENT, HMAC_SECRET]],
    ],
    [
      'clientAssertion function',
      async (server) => ({ clientId: FN_CLIENT, clientSecret: undefined, clientAssertion: () => mintClientAssertion(FN_CLIENT, server) }),
      [],
    ],
    [
      'clientAssertionFromFile',
      async (server) => ({
        clientId: FILE_CLIENT,
        clientSecret: undefined,
        clientAssertion: clientAssertionFromFile(await assertionFile(server)),
      }),
      [],
    ],
    [
      'password grant',
      async () => ({ grantType: 'password', username: USERNAME, password: PASSWORD }),
      [
        [CLIENT_ID, SECRET],
        [USERNAME, PASSWORD],
      ],
    ],
    ['jwt-bearer grant', async (server) => ({ grantType: JWT_BEARER, assertion: () => mintGrantAssertion(server) }), [[CLIENT_ID, SECRET]]],
  ];

  /** Options without the keys set to undefined (a method that uses no client secret must not be given one). */
  function defined(options: Partial<OAuth2Options>): OAuth2Options {
    return Object.fromEntries(
      Object.entries(options).filter(([, value]: [string, unknown]) => value !== undefined),
    ) as unknown as OAuth2Options;
  }

  function allTokens(): string[] {
    return [...auth.everIssued, ...bgAuth.everIssued, ...servedTokens];
  }

  function forbidden(scope: Scope): Needle[] {
    const credentials = [
      ...CREDENTIALS.flatMap(([id, secret]) => credentialNeedles(id, secret)),
      ...FRAGMENTS.map((text) => ({ what: 'secret fragment', text })),
    ];
    if (scope === 'plain') return unique(credentials);
    return unique([
      ...credentials,
      ...KEY_NEEDLES,
      ...allAssertions().flatMap(([what, assertion]) => cached(`${what}\u0000${assertion}`, () => assertionNeedles(what, assertion))),
      ...allTokens().flatMap((token) => cached(token, () => tokenNeedles(token))),
    ]);
  }

  /** The needles of each token and assertion, computed once: thousands accumulate over the run. */
  const needleCache = new Map<string, Needle[]>();
  function cached(key: string, compute: () => Needle[]): Needle[] {
    let needles = needleCache.get(key);
    if (!needles) needleCache.set(key, (needles = compute()));
    return needles;
  }

  const KEY_NEEDLES = [
    ...keyNeedles('private_key_jwt PEM key', pemKey.privateKey, RSA_PEM),
    ...keyNeedles('private_key_jwt JWK key', jwkKey.privateKey),
    ...keyNeedles('clientAssertion signing key', assertionKey.privateKey),
    ...keyNeedles('jwt-bearer issuer key', idpKey.privateKey),
  ];

  /** Every client assertion and jwt-bearer assertion minted here or received by either server. */
  function allAssertions(): [string, string][] {
    const received = [...auth.requests, ...bgAuth.requests].flatMap((request): [string, string][] => [
      ...(request.params.get('client_assertion')
        ? [['client_assertion', request.params.get('client_assertion')!] as [string, string]]
        : []),
      ...(request.params.get('assertion') ? [['jwt-bearer assertion', request.params.get('assertion')!] as [string, string]] : []),
    ]);
    return [...minted.map((assertion): [string, string] => ['assertion handed to the plugin', assertion]), ...received];
  }

  /**
   * Finds the first occurrence of each needle in a text. Thousands of tokens and assertions
   * accumulate over the run: needles of PREFIX characters or more are looked up by their
   * first PREFIX characters at each position of the text (one pass), shorter ones by indexOf.
   */
  function matcher(needles: Needle[]): (view: string) => [Needle, number][] {
    const PREFIX = 12;
    const short = needles.filter((needle) => needle.text.length < PREFIX);
    const byPrefix = new Map<string, Needle[]>();
    for (const needle of needles) {
      if (needle.text.length < PREFIX) continue;
      const key = needle.text.slice(0, PREFIX);
      const list = byPrefix.get(key);
      if (list) list.push(needle);
      else byPrefix.set(key, [needle]);
    }
    return (view) => {
      const hits: [Needle, number][] = [];
      for (const needle of short) {
        const at = view.indexOf(needle.text);
        if (at >= 0) hits.push([needle, at]);
      }
      const found = new Set<Needle>();
      for (let i = 0; i + PREFIX <= view.length; i++) {
        const candidates = byPrefix.get(view.slice(i, i + PREFIX));
        if (!candidates) continue;
        for (const needle of candidates) {
          if (!found.has(needle) && view.startsWith(needle.text, i)) {
            found.add(needle);
            hits.push([needle, i]);
          }
        }
      }
      return hits;
    };
  }

  /** Every leak in the given errors, as "error label / rendering / what: …context…". */
  function leaksIn(records: readonly Received[]): string[] {
    const finders = new Map<Scope, (view: string) => [Needle, number][]>();
    const find = (scope: Scope) => finders.get(scope) ?? finders.set(scope, matcher(forbidden(scope))).get(scope)!;
    const leaks: string[] = [];
    for (const { label, error, scope } of records) {
      for (const [rendering, view] of renderings(error)) {
        for (const [{ what, text }, at] of find(scope)(view)) {
          leaks.push(`${label} / ${rendering} / ${what}: …${view.slice(Math.max(0, at - 300), at + text.length + 100)}…`);
        }
      }
    }
    return leaks;
  }

  // ---- Per test: what was received, the scenario's instances, clean-ups.
  let received: Received[] = [];
  let instances: AxiosInstance[] = [];
  let cleanups: (() => void)[] = [];

  /**
   * Records an error the app received and scans it at once, while traffic is still in
   * flight. An error of a plain call (several MB at depth Infinity: every pooled socket of
   * its agent, printed once per path) is scanned only then; the credentials it is searched
   * for do not change later.
   */
  function receive(label: string, error: unknown, scope: Scope = 'plugin'): unknown {
    const record = { label, error, scope };
    if (scope === 'plugin') {
      received.push(record);
      everyError.push(record);
    }
    expect(leaksIn([record])).toEqual([]);
    return error;
  }

  beforeEach(() => {
    received = [];
    instances = [];
    cleanups = [];
  });
  afterEach(() => {
    // A test that failed half-way leaves its background held: let it finish while the servers are up.
    bgTokenGate.open();
    bgApiGate.open();
    for (const cleanup of cleanups.splice(0)) cleanup();
    auth.override = undefined;
    auth.delayMs = 0;
    auth.expiresIn = 3600;
    api.alwaysUnauthorized = false;
  });

  // ---- The background traffic.

  interface Background {
    /** How many API and token requests are held open right now. */
    inFlight(): { api: number; token: number; foreign: number };
    /** Lets everything finish; every request meant to succeed must have. */
    finish(): Promise<void>;
  }

  /** Token requests of the background held open: Basic, post, and one per other method or grant. */
  const HELD_TOKEN_REQUESTS = 2 + OTHER_METHODS.length;

  async function startBackground(): Promise<Background> {
    bgTokenGate = new Gate();
    const apiGate = (bgApiGate = new Gate());
    bgApi.gate = apiGate;
    foreign.gate = apiGate;
    const app = axios.create({ baseURL: bgApi.url });
    oauth2(app, { tokenEndpoint: bgAuth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET });
    // Finished authorized requests leave pooled sockets whose last request carried a token.
    await Promise.all([app.get('/warm'), app.get('/warm', { httpAgent: appAgent })]);

    const succeeding: Promise<AxiosResponse>[] = [];
    const failing: Promise<unknown>[] = [];
    const success = (label: string, promise: Promise<AxiosResponse>) =>
      succeeding.push(
        promise.catch((error: unknown) => {
          receive(`background: ${label} (meant to succeed)`, error);
          throw error;
        }),
      );
    const failure = (label: string, promise: Promise<unknown>, scope: Scope = 'plugin') =>
      promise.then(
        () => Promise.reject(new Error(`${label}: expected a failure`)),
        (error: unknown) => receive(`background: ${label}`, error, scope),
      );

    // Authorized requests the API holds open, on the global agent and on the app's agent.
    const heldBefore = { api: bgApi.held, foreign: foreign.held };
    success('held, global agent', app.get('/held/global'));
    success('held, app agent', app.get('/held/app-agent', { httpAgent: appAgent }));
    success('held POST, app agent', app.post('/held/app-agent-post', { note: 'held' }, { httpAgent: appAgent }));
    // Token requests the authorization server holds open, on two other handles (Basic and post).
    const heldTokenBefore = bgTokenHeld;
    for (const [tokenEndpointAuthMethod, config] of [
      ['client_secret_basic', {}],
      ['client_secret_post', { httpAgent: appAgent }],
    ] as const) {
      const cold = axios.create({ baseURL: bgApi.url });
      oauth2(cold, {
        tokenEndpoint: bgAuth.tokenEndpoint,
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        scope: 'held',
        tokenEndpointAuthMethod,
      });
      success(`waiting for a held token (${tokenEndpointAuthMethod})`, cold.get('/after-token', config));
    }
    // And one for each of the other methods and grants (keys, HMAC, assertions, password), alternating agents.
    for (const [i, [name, make]] of OTHER_METHODS.entries()) {
      const cold = axios.create({ baseURL: bgApi.url });
      oauth2(
        cold,
        defined({ tokenEndpoint: bgAuth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, scope: 'held', ...(await make(bgAuth)) }),
      );
      success(`waiting for a held token (${name})`, cold.get('/after-token', i % 2 ? { httpAgent: appAgent } : {}));
    }
    // Plain axios calls (no plugin) held open, and a request to an origin the instance does not allow.
    failing.push(failure('plain axios, global agent, in flight', axios.get(`${foreign.url}/held/plain`), 'plain'));
    failing.push(failure('non-allowed origin, in flight', app.get(`${foreign.url}/held/foreign`, { httpAgent: appAgent })));
    // Awaited in finish(); marked as handled now, so that a test failing before that leaves no unhandled rejection.
    for (const promise of [...succeeding, ...failing]) promise.catch(() => undefined);
    await until(
      () =>
        bgApi.held === heldBefore.api + 3 &&
        bgTokenHeld === heldTokenBefore + HELD_TOKEN_REQUESTS &&
        foreign.held === heldBefore.foreign + 2,
      'the background requests to be in flight',
    );

    // Errors that arrive while all of that is in flight.
    await Promise.all([
      failure('authorized 500, global agent', app.get('/500')),
      failure('authorized 500, app agent', app.get('/500', { httpAgent: appAgent })),
      failure('non-allowed origin', app.get(`${foreign.url}/x`)),
      failure('plain axios 401, global agent', axios.get(`${foreign.url}/plain`), 'plain'),
    ]);

    return {
      inFlight: () => ({
        api: bgApi.held - heldBefore.api,
        token: bgTokenHeld - heldTokenBefore,
        foreign: foreign.held - heldBefore.foreign,
      }),
      finish: async () => {
        bgTokenGate.open();
        apiGate.open();
        bgApi.gate = undefined;
        foreign.gate = undefined;
        const outcomes = await Promise.allSettled([...succeeding, ...failing]);
        expect(outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []))).toEqual([]);
        for (const response of await Promise.all(succeeding)) expect(response.status).toBe(200);
      },
    };
  }

  // ---- Helpers of the scenarios.

  const ALLOWED = () => [api.url, 'http://127.0.0.1:1'];

  function client(options: Partial<OAuth2Options> = {}): { instance: AxiosInstance; handle: OAuth2Handle } {
    const instance = axios.create({ baseURL: api.url });
    const handle = oauth2(
      instance,
      defined({ tokenEndpoint: auth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, origins: ALLOWED(), ...options }),
    );
    instances.push(instance);
    return { instance, handle };
  }

  const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => Promise.reject(new Error('expected a failure')),
      (error: unknown) => error,
    );

  /** The authorization server answers every token request so. */
  function answer(status: number, body: string, contentType = 'application/json'): void {
    auth.override = (_req, res) => {
      res.writeHead(status, { 'Content-Type': contentType }).end(body);
      return true;
    };
  }

  /** Holds the scenario's token requests until the returned gate opens (at the latest after the test). */
  function holdTokenRequests(): { gate: Gate; held: () => number } {
    const gate = new Gate();
    let held = 0;
    auth.override = async () => {
      held++;
      await gate.promise;
      return false;
    };
    cleanups.push(() => gate.open());
    return { gate, held: () => held };
  }

  /** A token response whose access_token the scan must look for too. */
  function serve(tokenResponse: Record<string, unknown>): void {
    if (typeof tokenResponse.access_token === 'string') servedTokens.push(tokenResponse.access_token);
    answer(200, JSON.stringify(tokenResponse));
  }

  /** The secret in every encoding of the list, and the request as received, for an echoing server. */
  function echoOf(received: ReceivedTokenRequest): string {
    const encodings = credentialEncodings(CLIENT_ID, SECRET).map(({ text }) => `<${text}>`);
    return `${encodings.join(' ')} auth=${received.headers.authorization ?? ''} body=${received.body}`;
  }

  /**
   * For a client of the other methods and grants: the secrets it is configured with in every
   * encoding of the list, the assertions of the request (whole, JSON-escaped, form-encoded,
   * their signature), the Authorization header, and the body raw and decoded.
   */
  function fullEchoOf(received: ReceivedTokenRequest, secrets: readonly (readonly [string, string])[]): string {
    const encodings = secrets.flatMap(([id, secret]) => credentialEncodings(id, secret)).map(({ text }) => `<${text}>`);
    const assertions = ['client_assertion', 'assertion'].flatMap((name) => {
      const assertion = received.params.get(name);
      return assertion ? [assertion, jsonEscaped(assertion), formEncode(assertion), assertion.split('.')[2] ?? ''] : [];
    });
    const decoded = decodeURIComponent(received.body.replace(/\+/g, ' '));
    return `${encodings.join(' ')} ${assertions.map((text) => `<${text}>`).join(' ')} auth=${received.headers.authorization ?? ''} body=${received.body} decoded=${decoded}`;
  }

  const aMoment = () => new Promise((resolve) => setTimeout(resolve, 1));

  /** [name, expected code (null: no error), scenario returning the errors the app received]. */
  type Scenario = [string, string | null, () => Promise<unknown[]>];
  const one = (promise: Promise<unknown>) => promise.then((error) => [error]);

  const scenarios: Scenario[] = [
    // The other client authentication methods and grants against an echoing token endpoint.
    ...OTHER_METHODS.flatMap(([name, make, secrets]): Scenario[] => [
      [
        `${name}: token endpoint 400 echoing the request, its assertions and secrets in every encoding (error_description, error_uri)`,
        'ERR_OAUTH2_TOKEN_ENDPOINT',
        async () => {
          auth.override = (_req, res, received) => {
            const echo = fullEchoOf(received, secrets);
            res
              .writeHead(400, { 'Content-Type': 'application/json' })
              .end(JSON.stringify({ error: 'invalid_request', error_description: echo, error_uri: echo }));
            return true;
          };
          return one(failureOf(client(await make(auth)).instance.get('/r')));
        },
      ],
      [
        `${name}: token endpoint 503 echoing the request as plain text, app agent`,
        'ERR_OAUTH2_TOKEN_ENDPOINT',
        async () => {
          auth.override = (_req, res, received) => {
            res.writeHead(503, { 'Content-Type': 'text/plain' }).end(fullEchoOf(received, secrets));
            return true;
          };
          return one(failureOf(client(await make(auth)).instance.get('/r', { httpAgent: appAgent })));
        },
      ],
      [
        `${name}: a token from the real server, API 401, the replay's token request echoed (401 invalid_client), and handle.getToken()`,
        'ERR_OAUTH2_TOKEN_ENDPOINT',
        async () => {
          const { instance, handle } = client(await make(auth));
          await instance.get('/r');
          expect(auth.requests.at(-1)?.answer?.status).toBe(200);
          auth.revokeAll();
          auth.override = (_req, res, received) => {
            const echo = fullEchoOf(received, secrets);
            res
              .writeHead(401, { 'Content-Type': 'application/json' })
              .end(JSON.stringify({ error: 'invalid_client', error_description: echo }));
            return true;
          };
          const replayed = await failureOf(instance.get('/r', { httpAgent: appAgent }));
          handle.invalidate();
          return [replayed, await failureOf(handle.getToken())];
        },
      ],
    ]),
    // No assertion to send: ClientAssertionError, GrantAssertionError (after an assertion that was sent).
    [
      'clientAssertionFromFile: the file removed after a first read',
      'ERR_OAUTH2_CLIENT_ASSERTION',
      async () => {
        const file = await assertionFile(auth);
        const { instance, handle } = client({
          clientId: FILE_CLIENT,
          clientSecret: undefined,
          clientAssertion: clientAssertionFromFile(file),
        });
        await instance.get('/r');
        handle.invalidate();
        unlinkSync(file);
        const errors = [await failureOf(instance.get('/r', { httpAgent: appAgent })), await failureOf(handle.getToken())];
        expect(errors[0]).toMatchObject({ name: 'ClientAssertionError', path: file });
        return errors;
      },
    ],
    [
      'clientAssertionFromFile: the file emptied after a first read',
      'ERR_OAUTH2_CLIENT_ASSERTION',
      async () => {
        const file = await assertionFile(auth);
        const { instance, handle } = client({
          clientId: FILE_CLIENT,
          clientSecret: undefined,
          clientAssertion: clientAssertionFromFile(file),
        });
        await instance.get('/r');
        handle.invalidate();
        writeFileSync(file, '\n');
        const errors = [await failureOf(instance.get('/r')), await failureOf(handle.getToken())];
        expect(errors[0]).toMatchObject({ name: 'ClientAssertionError', path: file });
        return errors;
      },
    ],
    [
      'clientAssertionFromFile: an empty file from the start',
      'ERR_OAUTH2_CLIENT_ASSERTION',
      () => {
        const file = path.join(dir, `empty-${files++}`);
        writeFileSync(file, '');
        return one(
          failureOf(
            client({ clientId: FILE_CLIENT, clientSecret: undefined, clientAssertion: clientAssertionFromFile(file) }).instance.get('/r'),
          ),
        );
      },
    ],
    [
      'clientAssertion function throwing after a first assertion',
      'ERR_OAUTH2_CLIENT_ASSERTION',
      async () => {
        let calls = 0;
        const clientAssertion = () => {
          if (calls++ === 0) return mintClientAssertion(FN_CLIENT, auth);
          throw new Error('workload identity unavailable');
        };
        const { instance, handle } = client({ clientId: FN_CLIENT, clientSecret: undefined, clientAssertion });
        await instance.get('/r');
        handle.invalidate();
        const errors = [await failureOf(instance.get('/r', { httpAgent: appAgent })), await failureOf(handle.getToken())];
        expect(errors[0]).toMatchObject({ name: 'ClientAssertionError' });
        return errors;
      },
    ],
    [
      'clientAssertion function rejecting (async)',
      'ERR_OAUTH2_CLIENT_ASSERTION',
      () =>
        one(
          failureOf(
            client({
              clientId: FN_CLIENT,
              clientSecret: undefined,
              clientAssertion: async () => Promise.reject(new Error('token file service down')),
            }).instance.get('/r'),
          ),
        ),
    ],
    [
      'jwt-bearer assertion function throwing after a first assertion',
      'ERR_OAUTH2_GRANT_ASSERTION',
      async () => {
        let calls = 0;
        const assertion = () => {
          if (calls++ === 0) return mintGrantAssertion(auth);
          throw new Error('identity provider unavailable');
        };
        const { instance, handle } = client({ grantType: JWT_BEARER, assertion });
        await instance.get('/r');
        handle.invalidate();
        const errors = [await failureOf(instance.get('/r')), await failureOf(handle.getToken())];
        expect(errors[0]).toMatchObject({ name: 'GrantAssertionError' });
        return errors;
      },
    ],
    [
      'jwt-bearer assertion function returning no string',
      'ERR_OAUTH2_GRANT_ASSERTION',
      () => one(failureOf(client({ grantType: JWT_BEARER, assertion: async () => '' }).instance.get('/r', { httpAgent: appAgent }))),
    ],
    // Token endpoint unreachable (connection refused, DNS, TLS).
    [
      'token endpoint refusing connections',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      () => one(failureOf(client({ tokenEndpoint: 'http://127.0.0.1:1/token' }).instance.get('/r'))),
    ],
    [
      'token endpoint host not found (DNS)',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      () => {
        const lookup = (hostname: string, _options: unknown, callback: (error: Error) => void) =>
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
        const { instance } = client({ tokenEndpoint: 'http://auth.leak-scan.invalid/token', backend: { lookup } as AxiosRequestConfig });
        return one(failureOf(instance.get('/r')));
      },
    ],
    [
      'token endpoint failing TLS (https to a plain-http port)',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      () => one(failureOf(client({ tokenEndpoint: auth.tokenEndpoint.replace('http:', 'https:') }).instance.get('/r'))),
    ],
    // Token endpoint resets the connection mid-response.
    [
      'token endpoint resetting mid-response',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      () => {
        auth.override = (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
          res.write('{"access_token":"');
          setTimeout(() => res.socket?.destroy(), 20);
          return true;
        };
        return one(failureOf(client().instance.get('/r')));
      },
    ],
    // Token endpoint answers 5xx or another error status.
    [
      'token endpoint 500 with HTML',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => (answer(500, '<h1>oops</h1>', 'text/html'), one(failureOf(client().instance.get('/r')))),
    ],
    [
      'token endpoint 503 with RFC 6749 JSON',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => (answer(503, JSON.stringify({ error: 'temporarily_unavailable' })), one(failureOf(client().instance.get('/r')))),
    ],
    [
      'token endpoint 400 echoing the secret in every encoding and the request (error_description, error_uri)',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        auth.override = (_req, res, received) => {
          const echo = echoOf(received);
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: echo, error_uri: echo }));
          return true;
        };
        const error = await failureOf(client().instance.get('/r'));
        // Each form arrived, and each was replaced whole.
        const { errorDescription } = error as { errorDescription: string };
        expect(errorDescription.split('<[REDACTED]>').length - 1).toBe(credentialEncodings(CLIENT_ID, SECRET).length);
        return [error];
      },
    ],
    [
      'token endpoint echoing a client_secret_post body',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => {
        auth.override = (_req, res, received) => {
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: `${received.body} ${echoOf(received)}` }));
          return true;
        };
        return one(failureOf(client({ tokenEndpointAuthMethod: 'client_secret_post' }).instance.get('/r')));
      },
    ],
    [
      'token endpoint echoing the secret across the 1,000-character cut',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => {
        auth.override = (_req, res) => {
          // Cut to 1,000 characters, the text would keep the secret's first 16.
          const description = `${'x'.repeat(1_000 - 16)}${SECRET}${'x'.repeat(20)}`;
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: description, error_uri: description }));
          return true;
        };
        return one(failureOf(client().instance.get('/r')));
      },
    ],
    [
      'token endpoint 400 echoing the request as plain text',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => {
        auth.override = (_req, res, received) => {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(echoOf(received));
          return true;
        };
        return one(failureOf(client().instance.get('/r')));
      },
    ],
    // Token endpoint answers 401 invalid_client (wrong secret): no API request.
    [
      'token endpoint 401 invalid_client for a wrong secret',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        const before = api.requests.length;
        const error = await failureOf(client({ clientSecret: WRONG_SECRET }).instance.get('/r'));
        expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
        expect(api.requests.length).toBe(before);
        return [error];
      },
    ],
    // Token endpoint hangs or trickles.
    [
      'token endpoint hanging',
      'ERR_OAUTH2_TOKEN_TIMEOUT',
      () => {
        holdTokenRequests();
        return one(failureOf(client({ backend: { timeout: 150 } }).instance.get('/r')));
      },
    ],
    [
      'token endpoint trickling',
      'ERR_OAUTH2_TOKEN_TIMEOUT',
      () => {
        auth.override = (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('{"access_token":"');
          const trickle = setInterval(() => res.write('x'), 20);
          res.on('close', () => clearInterval(trickle));
          cleanups.push(() => clearInterval(trickle));
          return true;
        };
        return one(failureOf(client({ backend: { timeout: 150 } }).instance.get('/r')));
      },
    ],
    // Token endpoint answers 200 with something that is not a usable bearer token.
    [
      '200 with HTML',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (answer(200, '<html>login</html>', 'text/html'), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with non-JSON text',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (
        answer(200, 'access_token=leaky-text-token-0a1b', 'text/plain'),
        servedTokens.push('leaky-text-token-0a1b'),
        one(failureOf(client().instance.get('/r')))
      ),
    ],
    [
      '200 with a JSON array',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (
        answer(200, JSON.stringify([{ access_token: 'leaky-array-token-2c3d' }])),
        servedTokens.push('leaky-array-token-2c3d'),
        one(failureOf(client().instance.get('/r')))
      ),
    ],
    [
      '200 without access_token',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ token_type: 'Bearer' }), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with an empty access_token',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ access_token: '', token_type: 'Bearer' }), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with a non-string access_token',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ access_token: 73_915_004_118, token_type: 'Bearer' }), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with a non-Bearer token_type',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ access_token: 'leaky-mac-token-4e5f', token_type: 'mac' }), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with a token holding CR LF',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (
        serve({ access_token: 'leaky-crlf-token-6a7b\r\nX-Injected: 1', token_type: 'Bearer' }),
        one(failureOf(client().instance.get('/r')))
      ),
    ],
    [
      '200 with a token holding a space',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ access_token: 'leaky space-token-8c9d', token_type: 'Bearer' }), one(failureOf(client().instance.get('/r')))),
    ],
    [
      '200 with a token holding a control',
      'ERR_OAUTH2_INVALID_TOKEN_RESPONSE',
      () => (serve({ access_token: 'leaky-ctrl\u0001token-0e1f', token_type: 'Bearer' }), one(failureOf(client().instance.get('/r')))),
    ],
    // Token endpoint down while a cached token is still valid: nothing reaches the app.
    [
      'token endpoint failing while a cached token is in its renewal window',
      null,
      async () => {
        // A 2 s token fetched in 600 ms: renewal from 975 ms after the request (twice the fetch
        // time, capped at half the life), expiry at 1,950 ms: a window wide enough for a busy machine.
        auth.expiresIn = 2;
        auth.delayMs = 600;
        const { instance } = client();
        const started = performance.now();
        await instance.get('/r');
        const token = auth.everIssued.at(-1)!;
        const renewals: ReceivedTokenRequest[] = [];
        auth.delayMs = 0;
        auth.override = (_req, res, received) => {
          renewals.push(received);
          res
            .writeHead(503, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'temporarily_unavailable', error_description: echoOf(received) }));
          return true;
        };
        while (performance.now() - started < 1_200) await aMoment();
        const response = await instance.get('/r'); // starts the background renewal, which fails
        await until(() => renewals.length === 1, 'the background renewal');
        await new Promise((resolve) => setImmediate(resolve));
        const again = await instance.get('/r', { httpAgent: appAgent });
        expect([response.status, again.status]).toEqual([200, 200]);
        expect(api.requests.slice(-2).map((request) => request.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
        return [];
      },
    ],
    // Many concurrent requests while the token endpoint is down: one shared error.
    [
      'many concurrent requests while the token endpoint is down',
      'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
      () => {
        const { instance } = client({ tokenEndpoint: 'http://127.0.0.1:1/token' });
        return Promise.all(Array.from({ length: 12 }, (_, i) => failureOf(instance.get(`/r${i}`, i % 2 ? { httpAgent: appAgent } : {}))));
      },
    ],
    [
      'many concurrent requests while the token endpoint echoes the secret',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        const before = auth.requests.length;
        auth.override = (_req, res, received) => {
          res
            .writeHead(503, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'temporarily_unavailable', error_description: echoOf(received) }));
          return true;
        };
        const { instance } = client({ tokenRetry: { baseDelayMs: 5, maxDelayMs: 10 } });
        const errors = await Promise.all(
          Array.from({ length: 12 }, (_, i) => failureOf(instance.get(`/r${i}`, i % 2 ? { httpAgent: appAgent } : {}))),
        );
        // One shared fetch: its first attempt and the two default retries of a 503.
        expect(auth.requests.length - before).toBe(3);
        return errors;
      },
    ],
    // API answers 401, and the token request for the replay fails.
    [
      'API 401, then the token request of the replay failing',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      async () => {
        const { instance } = client();
        await instance.get('/r', { httpAgent: appAgent });
        auth.revokeAll();
        auth.override = (_req, res, received) => {
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_request', error_description: echoOf(received) }));
          return true;
        };
        return [await failureOf(instance.get('/r', { httpAgent: appAgent }))];
      },
    ],
    // API answers 401 every time.
    [
      'API answering 401 every time, global agent',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        const error = await failureOf(client({ retries: 2 }).instance.get('/r'));
        expect(error).toMatchObject({ response: { status: 401 } });
        return [error];
      },
    ],
    [
      'API answering 401 every time, app agent, JSON body',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        const { instance } = client({ retries: 2 });
        return [await failureOf(instance.post('/r', { note: 'x' }, { httpAgent: appAgent }))];
      },
    ],
    // The token endpoint issues tokens the API always refuses.
    [
      'tokens the API always refuses',
      'ERR_BAD_REQUEST',
      async () => {
        const { instance } = client({ tokenEndpoint: bgAuth.tokenEndpoint, retries: 2 });
        const error = await failureOf(instance.get('/r', { httpAgent: appAgent }));
        expect(error).toMatchObject({ response: { status: 401 } });
        return [error];
      },
    ],
    // API answers 403, 5xx, or fails on the network.
    ['API 403', 'ERR_BAD_REQUEST', () => one(failureOf(client().instance.get('/403')))],
    ['API 500, app agent', 'ERR_BAD_RESPONSE', () => one(failureOf(client().instance.get('/500', { httpAgent: appAgent })))],
    ['API refusing connections', 'ECONNREFUSED', () => one(failureOf(client().instance.get('http://127.0.0.1:1/r')))],
    ['API dropping the connection', 'ECONNRESET', () => one(failureOf(client().instance.get('/reset', { httpAgent: appAgent })))],
    ['API dropping the connection mid-body', 'ERR_BAD_RESPONSE', () => one(failureOf(client().instance.get('/reset-mid')))],
    ['API timing out', 'ECONNABORTED', () => one(failureOf(client().instance.get('/hang', { timeout: 100 })))],
    // Request body is a stream and the API answers 401.
    [
      'stream body answered 401',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        const body = Readable.from([Buffer.from('streamed '), Buffer.from('body')]);
        return [await failureOf(client().instance.post('/r', body, { headers: { 'Content-Type': 'text/plain' }, httpAgent: appAgent }))];
      },
    ],
    [
      'streamed response answered 401',
      'ERR_BAD_REQUEST',
      async () => {
        api.alwaysUnauthorized = true;
        const error = await failureOf(client().instance.get('/r', { responseType: 'stream', httpAgent: appAgent }));
        cleanups.push(() => (error as { response?: { data?: Readable } }).response?.data?.destroy());
        return [error];
      },
    ],
    // Request canceled while it waits for a token; the token is cached afterwards.
    [
      'request aborted (signal) while waiting for its token',
      'ERR_CANCELED',
      async () => {
        const { gate, held } = holdTokenRequests();
        const { instance, handle } = client();
        const controller = new AbortController();
        const failed = failureOf(instance.get('/r', { signal: controller.signal }));
        await until(() => held() === 1, 'the token request');
        controller.abort();
        const error = await failed;
        gate.open();
        expect(await handle.getToken()).toBe(auth.everIssued.at(-1));
        return [error];
      },
    ],
    [
      'request canceled (CancelToken) while waiting for its token',
      'ERR_CANCELED',
      async () => {
        const { gate, held } = holdTokenRequests();
        const { instance } = client();
        const source = axios.CancelToken.source();
        const failed = failureOf(instance.get('/r', { cancelToken: source.token, httpAgent: appAgent }));
        await until(() => held() === 1, 'the token request');
        source.cancel('no longer needed');
        const error = await failed;
        gate.open();
        return [error];
      },
    ],
    [
      "request's timeout passing while it waits for its token",
      'ECONNABORTED',
      async () => {
        const { gate } = holdTokenRequests();
        const error = await failureOf(client().instance.get('/r', { timeout: 100 }));
        gate.open();
        return [error];
      },
    ],
    [
      'request aborted while waiting for the token of its replay',
      'ERR_CANCELED',
      async () => {
        const { instance } = client();
        await instance.get('/r');
        auth.revokeAll();
        const { gate, held } = holdTokenRequests();
        const controller = new AbortController();
        const failed = failureOf(instance.get('/r', { signal: controller.signal, httpAgent: appAgent }));
        await until(() => held() === 1, 'the token request of the replay');
        controller.abort();
        const error = await failed;
        gate.open();
        return [error];
      },
    ],
    [
      'request aborted while in flight at the API',
      'ERR_CANCELED',
      async () => {
        const controller = new AbortController();
        const before = api.requests.length;
        const failed = failureOf(client().instance.get('/hang', { signal: controller.signal }));
        await until(() => api.requests.length > before, 'the request to reach the API');
        controller.abort();
        return [await failed];
      },
    ],
    // The handle's own call, and the errors of oauth2() itself.
    [
      'handle.getToken() against an echoing token endpoint',
      'ERR_OAUTH2_TOKEN_ENDPOINT',
      () => {
        auth.override = (_req, res, received) => {
          res
            .writeHead(401, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ error: 'invalid_client', error_description: echoOf(received) }));
          return true;
        };
        return one(failureOf(client().handle.getToken()));
      },
    ],
    [
      'invalid options (retries)',
      'ERR_OAUTH2_INVALID_OPTIONS',
      () => one(failureOf(Promise.resolve().then(() => client({ retries: -1 })))),
    ],
    [
      'invalid options (credentials embedded in tokenEndpoint)',
      'ERR_OAUTH2_INVALID_OPTIONS',
      () =>
        one(
          failureOf(
            Promise.resolve().then(() =>
              client({ tokenEndpoint: `http://${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(SECRET)}@127.0.0.1:1/token` }),
            ),
          ),
        ),
    ],
  ];

  it('the forbidden list holds every encoding, each distinct', () => {
    const needles = credentialNeedles(CLIENT_ID, SECRET);
    // Unpadded, the Basic credentials (base64 of %XX, letters and digits only) coincide with their base64url.
    expect(new Set(needles.map((needle) => needle.text)).size).toBe(needles.length - 1);
    expect(formEncode(SECRET)).toBe(new URLSearchParams([['s', SECRET]]).toString().slice(2));
    expect(jsonEscapedAscii(SECRET)).toContain('\\u00fc');
  });

  it.each(scenarios)('%s (%s)', async (name, code, run) => {
    const background = await startBackground();
    const errors = await run();
    // Everything in the background was still in flight when the failure arrived.
    expect(background.inFlight()).toEqual({ api: 3, token: HELD_TOKEN_REQUESTS, foreign: 2 });
    errors.forEach((error, i) => {
      if (code !== null) expect(error).toMatchObject({ code });
      receive(`${name} #${i}`, error);
    });
    // A request to an origin no instance allows, on each instance of the scenario.
    for (const instance of instances) receive(`${name}: non-allowed origin`, await failureOf(instance.get(`${foreign.url}/elsewhere`)));
    await background.finish();
    // Again, now that every token of this scenario has been issued.
    expect(leaksIn(received)).toEqual([]);
  });

  it("a plain call on the app's keep-alive agent, with token requests in flight, reaches no credentials", async () => {
    const background = await startBackground();
    await failureOf(axios.get(`${bgApi.url}/plain`, { httpAgent: appAgent })).then((error) =>
      receive('plain axios, app agent', error, 'plain'),
    );
    expect(background.inFlight()).toEqual({ api: 3, token: HELD_TOKEN_REQUESTS, foreign: 2 });
    await background.finish();
  });

  it('every error received in the run, scanned again against every token issued', () => {
    expect(everyError.length).toBeGreaterThan(scenarios.length * 5);
    expect(leaksIn(everyError)).toEqual([]);
  });
});
