import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import path from 'node:path';
import axios from 'axios';
import { SignJWT } from 'jose';
import { oauth2, TokenEndpointError, type OAuth2Options } from '../lib';

/**
 * Interop with an independently written authorization server: oidc-provider (panva's
 * OpenID Certified implementation), run in a child process on 127.0.0.1, port 0, with the
 * client-credentials grant enabled and one client registered per method and key. Its
 * verification of each client assertion (signature, iss, aud, exp, jti replay) is the
 * oracle: a token issued means it accepted what we signed.
 */

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed25519 = generateKeyPairSync('ed25519');
/** 64 bytes: oidc-provider wants at least as many bytes as HS512 has bits / 8. */
const SHARED_SECRET = randomBytes(48).toString('base64url');

const KEYS: Record<string, { privateKey: KeyObject; publicKey: KeyObject }> = { rsa, p256, p384, p521, ed25519 };

const clientMetadata = (clientId: string, extra: Record<string, unknown>) => ({
  client_id: clientId,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  ...extra,
});

const CLIENTS = [
  ...Object.entries(KEYS).map(([name, { publicKey }]) =>
    clientMetadata(`pkjwt-${name}`, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: `${name}-1`, use: 'sig' }] },
    }),
  ),
  clientMetadata('csjwt', { token_endpoint_auth_method: 'client_secret_jwt', client_secret: SHARED_SECRET }),
];

interface Provider {
  issuer: string;
  tokenEndpoint: string;
  authMethods: string[];
  child: ChildProcessWithoutNullStreams;
  stderr: string[];
}

/** The members of the server's discovery document the tests read. */
interface DiscoveryDocument {
  issuer: string;
  token_endpoint: string;
  token_endpoint_auth_methods_supported: string[];
}

async function startProvider(): Promise<Provider> {
  const script = path.join(__dirname, 'support', 'oidc-provider-server.mjs');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, OIDC_CLIENTS: JSON.stringify(CLIENTS), NODE_ENV: 'test' },
    stdio: 'pipe',
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const ready = await new Promise<{ issuer: string }>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      // The child's first line, {"issuer", "port"} (support/oidc-provider-server.mjs).
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as { issuer: string });
    });
    child.once('exit', (code) => reject(new Error(`oidc-provider exited with ${code}: ${stderr.join('')}`)));
  });
  // The token endpoint as the server itself publishes it (RFC 8414 / OpenID Connect Discovery).
  const { data } = await axios.get<DiscoveryDocument>(`${ready.issuer}/.well-known/openid-configuration`);
  return {
    issuer: data.issuer,
    tokenEndpoint: data.token_endpoint,
    authMethods: data.token_endpoint_auth_methods_supported,
    child,
    stderr,
  };
}

describe('interop with oidc-provider (an independent OpenID Certified authorization server)', () => {
  let provider: Provider;

  beforeAll(async () => {
    provider = await startProvider();
  }, 30_000);
  afterAll(async () => {
    const exited = new Promise((resolve) => provider.child.once('exit', resolve));
    provider.child.stdin.end();
    await exited;
  });

  function handleFor(options: Partial<OAuth2Options> & { clientId: string }) {
    return oauth2(axios.create(), { tokenEndpoint: provider.tokenEndpoint, ...options });
  }

  it('publishes both JWT methods and the token endpoint we use', () => {
    expect(provider.authMethods).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
    expect(provider.tokenEndpoint).toBe(`${provider.issuer}/token`);
  });

  describe.each([
    ['token-endpoint', {}],
    ['issuer', { assertionAudience: 'issuer' }],
  ] as const)("assertionAudience '%s'", (_audience, audienceOptions) => {
    const withIssuer = () => ('assertionAudience' in audienceOptions ? { ...audienceOptions, issuer: provider.issuer } : {});

    it.each([
      ['RSA', 'rsa', undefined],
      ['RSA (PS256)', 'rsa', 'PS256'],
      ['EC P-256', 'p256', undefined],
      ['EC P-384', 'p384', undefined],
      ['EC P-521', 'p521', undefined],
      ['Ed25519', 'ed25519', undefined],
    ] as const)(
      'private_key_jwt with an %s key: the server issues tokens, one per fresh assertion',
      async (_name, key, signingAlgorithm) => {
        const handle = handleFor({
          clientId: `pkjwt-${key}`,
          tokenEndpointAuthMethod: 'private_key_jwt',
          privateKey: KEYS[key].privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          keyId: `${key}-1`,
          ...(signingAlgorithm ? { signingAlgorithm } : {}),
          ...withIssuer(),
        });
        const first = await handle.getToken();
        handle.invalidate();
        // oidc-provider refuses a jti it has seen: a second token proves each request signs anew.
        const second = await handle.getToken();
        expect(first).toMatch(/^\S{20,}$/);
        expect(second).not.toBe(first);
      },
    );

    it.each(['HS256', 'HS384', 'HS512'] as const)('client_secret_jwt with %s', async (signingAlgorithm) => {
      const handle = handleFor({
        clientId: 'csjwt',
        tokenEndpointAuthMethod: 'client_secret_jwt',
        clientSecret: SHARED_SECRET,
        signingAlgorithm,
        ...withIssuer(),
      });
      await expect(handle.getToken()).resolves.toMatch(/^\S{20,}$/);
    });
  });

  it('a key the client did not register is refused with invalid_client, surfaced as TokenEndpointError', async () => {
    const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const handle = handleFor({ clientId: 'pkjwt-rsa', tokenEndpointAuthMethod: 'private_key_jwt', privateKey: wrong, keyId: 'rsa-1' });
    const error = await handle.getToken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 401, error: 'invalid_client' });
  });

  it('a wrong client secret for client_secret_jwt is refused with invalid_client', async () => {
    const handle = handleFor({
      clientId: 'csjwt',
      tokenEndpointAuthMethod: 'client_secret_jwt',
      clientSecret: randomBytes(48).toString('base64url'),
    });
    await expect(handle.getToken()).rejects.toMatchObject({ name: 'TokenEndpointError', status: 401, error: 'invalid_client' });
  });

  it('an audience the server is not is refused with invalid_client', async () => {
    const handle = handleFor({
      clientId: 'pkjwt-p256',
      tokenEndpointAuthMethod: 'private_key_jwt',
      privateKey: p256.privateKey,
      assertionAudience: 'https://elsewhere.example.com/token',
    });
    await expect(handle.getToken()).rejects.toMatchObject({ name: 'TokenEndpointError', status: 401, error: 'invalid_client' });
  });

  describe('clientAssertion (signed elsewhere)', () => {
    /** What a workload identity would hand over: an assertion for the client, signed with its registered key. */
    const mintAssertion = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: 'ed25519-1' })
        .setIssuer('pkjwt-ed25519')
        .setSubject('pkjwt-ed25519')
        .setAudience(provider.tokenEndpoint)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(ed25519.privateKey);

    it('a function source is asked for every token request, and each assertion is accepted', async () => {
      const minted: string[] = [];
      const handle = handleFor({ clientId: 'pkjwt-ed25519', clientAssertion: async () => minted[minted.push(await mintAssertion()) - 1] });
      await handle.getToken();
      handle.invalidate();
      await handle.getToken();
      expect(minted).toHaveLength(2);
    });

    it('a fixed assertion string works once; the server refuses its replay (its jti was used)', async () => {
      const handle = handleFor({ clientId: 'pkjwt-ed25519', clientAssertion: await mintAssertion() });
      await expect(handle.getToken()).resolves.toMatch(/^\S{20,}$/);
      handle.invalidate();
      await expect(handle.getToken()).rejects.toMatchObject({ name: 'TokenEndpointError', status: 401, error: 'invalid_client' });
    });
  });
});
