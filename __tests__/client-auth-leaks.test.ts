import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import axios from 'axios';
import { clientAssertionFromFile, InvalidOptionsError, oauth2, type OAuth2Handle, type OAuth2Options } from '../lib';
import { CLIENT_ID, useServers } from './support/servers';

/**
 * None of the new credentials leaks: the private key (its PEM as given, its PKCS#8 body,
 * every private JWK member), the HMAC secret of client_secret_jwt, and every client
 * assertion sent (whole, and its signature) appear in no error (message, stack,
 * util.inspect at any depth with hidden properties, JSON, toJSON) of any failure mode, nor
 * in the inspection of the handle. The forbidden strings are computed here from the keys,
 * the secret and what the server received, not from lib/.
 */

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed25519 = generateKeyPairSync('ed25519');
const RSA_PEM = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const ED_JWK = ed25519.privateKey.export({ format: 'jwk' });
const HMAC_SECRET = 'hmac "secret" ü/+ ibis-58d1';

function keyNeedles(key: KeyObject): string[] {
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const lines = (pem: string) => pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
  return [
    ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => jwk[name]).filter((v): v is string => typeof v === 'string'),
    ...lines(pkcs8),
    ...(key.asymmetricKeyType === 'rsa' ? lines(RSA_PEM) : []),
    pkcs8.replace(/-----[A-Z ]+-----|\s/g, '').slice(0, 64),
  ];
}

const secretNeedles = (secret: string) => [
  secret,
  encodeURIComponent(secret),
  JSON.stringify(secret).slice(1, -1),
  Buffer.from(secret).toString('base64'),
  'ibis-58d1',
];

function renderings(value: unknown): string[] {
  const views = [inspect(value, { depth: Infinity }), inspect(value, { depth: Infinity, showHidden: true })];
  try {
    // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
    const json = JSON.stringify(value) as string | undefined;
    views.push(json ?? '');
  } catch {
    // A handle with functions serializes to {}; a cycle would throw: neither leaks.
  }
  if (value instanceof Error) {
    views.push(value.message, value.stack ?? '');
    const cause = (value as { cause?: unknown }).cause;
    if (cause !== undefined) views.push(inspect(cause, { depth: Infinity, showHidden: true }));
  }
  const toJSON = (value as { toJSON?: () => unknown } | null)?.toJSON;
  if (typeof toJSON === 'function') views.push(JSON.stringify(toJSON.call(value)));
  return views;
}

describe('no private key, HMAC secret or client assertion leaks', () => {
  const servers = useServers();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'leaks-'));
    servers.auth.registerClientKey(CLIENT_ID, rsa.publicKey);
    servers.auth.registerClientKey('ed-client', ed25519.publicKey);
    servers.auth.registerClient('hmac-client', HMAC_SECRET);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Everything secret of this test: the keys, the HMAC secret, and every assertion the server saw. */
  function forbidden(extra: string[] = []): string[] {
    const assertions = servers.auth.requests
      .map((request) => request.params.get('client_assertion'))
      .filter((a): a is string => a !== null);
    return [
      ...keyNeedles(rsa.privateKey),
      ...keyNeedles(ed25519.privateKey),
      ...secretNeedles(HMAC_SECRET),
      ...assertions,
      ...assertions.map((assertion) => assertion.split('.')[2]),
      ...extra,
    ].filter((needle) => needle !== '');
  }

  function expectNoLeak(value: unknown, extra: string[] = []) {
    for (const view of renderings(value)) {
      for (const needle of forbidden(extra)) {
        if (view.includes(needle)) throw new Error(`leaked ${JSON.stringify(needle.slice(0, 40))} in:\n${view.slice(0, 1500)}`);
      }
    }
  }

  const methods: [string, Partial<OAuth2Options>][] = [
    ['private_key_jwt, PKCS#1 PEM', { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: RSA_PEM, keyId: 'k1' }],
    ['private_key_jwt, JWK', { clientId: 'ed-client', tokenEndpointAuthMethod: 'private_key_jwt', privateKey: ED_JWK }],
    ['private_key_jwt, KeyObject', { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey }],
    ['client_secret_jwt', { clientId: 'hmac-client', tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: HMAC_SECRET }],
    ['clientAssertion string', { clientAssertion: 'fixed.assertion-payload.signature-part-0123456789abcdef' }],
    ['clientAssertion function', { clientAssertion: async () => `fn.assertion.signature-${Date.now()}-0123456789abcdef` }],
  ];

  function connect(options: Partial<OAuth2Options>): { instance: ReturnType<typeof axios.create>; handle: OAuth2Handle } {
    const instance = axios.create({ baseURL: servers.api.url });
    const handle = oauth2(instance, { tokenEndpoint: servers.auth.tokenEndpoint, clientId: CLIENT_ID, ...options });
    return { instance, handle };
  }

  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => Promise.reject(new Error('expected a failure')),
      (e: unknown) => e,
    );

  describe.each(methods)('%s', (_name, options) => {
    it('the handle inspects and serializes without them, before and after a token request', async () => {
      const { handle } = connect({ ...options, ...(options.clientAssertion ? {} : {}) });
      expectNoLeak(handle);
      servers.auth.override = (_req, res) => (
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"t-1","token_type":"Bearer"}'),
        true
      );
      await handle.getToken();
      expectNoLeak(handle);
    });

    it('a server echoing the whole request into error_description and error_uri: scrubbed', async () => {
      servers.auth.override = (req, res, received) => {
        const echo = `${req.headers.authorization ?? ''} ${received.body} ${decodeURIComponent(received.body)} ${received.params.get('client_assertion')}`;
        res
          .writeHead(400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_client', error_description: echo, error_uri: echo }));
        return true;
      };
      const error = await failureOf(connect(options).instance.get('/r'));
      expect(error).toMatchObject({ name: 'TokenEndpointError' });
      expect((error as Error).message).toContain('[REDACTED]');
      expectNoLeak(error);
    });

    it.each([
      [
        'a 200 that is no token',
        (res: import('node:http').ServerResponse) =>
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token_type":"Bearer"}'),
        'InvalidTokenResponseError',
      ],
      ['a connection reset', (res: import('node:http').ServerResponse) => res.socket?.destroy(), 'TokenRequestError'],
    ] as const)('%s', async (_case, answer, name) => {
      servers.auth.override = (_req, res) => (answer(res), true);
      const error = await failureOf(connect(options).instance.get('/r'));
      expect(error).toMatchObject({ name });
      expect(servers.auth.requests.length).toBeGreaterThan(0);
      expectNoLeak(error);
    });

    it('a token endpoint refusing connections, and one timing out', async () => {
      const refused = await failureOf(connect({ ...options, tokenEndpoint: 'http://127.0.0.1:1/token' }).handle.getToken());
      expect(refused).toMatchObject({ name: 'TokenRequestError' });
      expectNoLeak(refused);
      servers.auth.delayMs = 500;
      const timedOut = await failureOf(connect({ ...options, backend: { timeout: 50 } }).handle.getToken());
      expect(timedOut).toMatchObject({ name: 'TokenTimeoutError' });
      expectNoLeak(timedOut);
    });
  });

  it.each([
    ['given as a PEM string', { privateKey: RSA_PEM, keyId: 'k1' }],
    ['given as a KeyObject', { privateKey: rsa.privateKey }],
  ])('a server echoing the private key (%s) into its error: scrubbed', async (_case, options: Partial<OAuth2Options>) => {
    // The key as a server could hold it: the PKCS#8 body in one piece, and the JWK's private members.
    const body = rsa.privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString()
      .replace(/-----[A-Z ]+-----|\s/g, '');
    const { d, p, q } = rsa.privateKey.export({ format: 'jwk' });
    servers.auth.override = (_req, res) => {
      const echo = `registered key: ${body} d=${String(d)} p=${String(p)} q=${String(q)}`;
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: echo }));
      return true;
    };
    const error = await failureOf(connect({ tokenEndpointAuthMethod: 'private_key_jwt', ...options }).instance.get('/r'));
    expect(error).toMatchObject({ name: 'TokenEndpointError' });
    expect((error as Error).message).toContain('[REDACTED]');
    expectNoLeak(error);
  });

  it('a key the server refuses: the TokenEndpointError holds neither key nor assertion', async () => {
    const error = await failureOf(
      connect({ tokenEndpointAuthMethod: 'private_key_jwt', privateKey: ed25519.privateKey }).instance.get('/r'),
    );
    expect(error).toMatchObject({ name: 'TokenEndpointError', error: 'invalid_client' });
    expectNoLeak(error);
  });

  it('InvalidOptionsError of every bad combination holding a key or an assertion', () => {
    const bad: Record<string, unknown>[] = [
      { clientSecret: 's', privateKey: RSA_PEM },
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: RSA_PEM, signingAlgorithm: 'ES256' },
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: { ...ED_JWK, alg: 'RS256' } },
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: RSA_PEM.replace('MII', 'XXX') },
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: RSA_PEM, clientAssertion: 'secret.assertion.sig-0123456789abcdef' },
      { tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: HMAC_SECRET, signingAlgorithm: 'RS256' },
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.privateKey, clientSecret: HMAC_SECRET },
      { clientAssertion: 'secret.assertion.sig-0123456789abcdef', clientSecret: HMAC_SECRET },
    ];
    for (const options of bad) {
      const error = (() => {
        try {
          connect(options);
        } catch (e) {
          return e;
        }
        throw new Error(`expected ${Object.keys(options).join(', ')} to be refused`);
      })();
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expectNoLeak(error, ['secret.assertion.sig-0123456789abcdef', 'sig-0123456789abcdef']);
    }
  });

  it('clientAssertionFromFile: a file that disappears after a read, or is emptied, fails without its former content', async () => {
    const file = path.join(dir, 'token');
    const assertion = 'file.assertion.signature-of-the-file-abcdef0123';
    writeFileSync(file, assertion);
    servers.auth.override = (_req, res) => (
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"t-1","token_type":"Bearer"}'),
      true
    );
    const { handle } = connect({ clientAssertion: clientAssertionFromFile(file) });
    await handle.getToken();
    expectNoLeak(handle, [assertion]);
    handle.invalidate();
    unlinkSync(file);
    const missing = await failureOf(handle.getToken());
    expect(missing).toMatchObject({ name: 'ClientAssertionError', path: file });
    expectNoLeak(missing, [assertion, 'signature-of-the-file']);
    writeFileSync(file, '\n');
    const empty = await failureOf(handle.getToken());
    expect(empty).toMatchObject({ name: 'ClientAssertionError', path: file });
    expectNoLeak(empty, [assertion, 'signature-of-the-file']);
  });
});
