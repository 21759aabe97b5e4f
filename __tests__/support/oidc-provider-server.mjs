// An independently written authorization server for interop tests: panva's oidc-provider
// (OpenID Certified), with the client-credentials grant enabled and the clients given in
// OIDC_CLIENTS (JSON client metadata, public keys only). It listens on 127.0.0.1, port 0,
// prints {"issuer", "port"} as one JSON line once it is ready, and exits when its stdin
// closes (the test that started it ended). Plain ESM JavaScript: oidc-provider is an ES
// module, which jest's CommonJS runtime cannot load, so it runs in its own process.
import http from 'node:http';
import OidcProvider from 'oidc-provider';

// oidc-provider ships no types: the part of its API used here, for the linter (JSDoc).
/** @typedef {{ error: string, error_description?: string, error_detail?: string }} GrantError */
/** @typedef {{ on(event: 'grant.error', listener: (ctx: unknown, error: GrantError) => void): void, callback(): import('node:http').RequestListener }} ProviderInstance */
/** @type {unknown} */
const untypedProvider = OidcProvider;
const Provider = /** @type {new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance} */ (untypedProvider);

/** @type {unknown} client metadata, passed to oidc-provider as given */
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = /** @type {import('node:net').AddressInfo} */ (server.address()); // a TCP server's, once listening
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients,
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
  },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'],
  enabledJWA: {
    clientAuthSigningAlgValues: [
      'HS256',
      'HS384',
      'HS512',
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
    ],
  },
});
// What the server answered and why, for the test's diagnostics (never the assertion).
provider.on('grant.error', (_ctx, error) =>
  process.stderr.write(`grant.error ${error.error}: ${error.error_description} (${error.error_detail ?? ''})\n`),
);
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
