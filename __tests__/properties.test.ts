import axios from 'axios';
import fc from 'fast-check';
import { InvalidOptionsError, OAuth2Error, oauth2, type TokenEndpointAuthMethod } from '../lib';
import { clientOptions, startServers, type Servers } from './support/servers';

/** Client ids and secrets: any well-formed Unicode, astral planes and controls included. */
const credential = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });

describe('property: arbitrary Unicode credentials authenticate (RFC 6749 §2.3.1)', () => {
  let servers: Servers;
  beforeAll(async () => {
    servers = await startServers();
  });
  afterAll(() => servers.stop());

  const methods: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
  it.each(methods)('%s round-trips through a decoding server', async (method) => {
    await fc.assert(
      fc.asyncProperty(credential, credential, async (clientId, clientSecret) => {
        servers.auth.registerClient(clientId, clientSecret);
        const before = servers.auth.requests.length;
        const api = servers.newApi();
        oauth2(api, { tokenEndpoint: servers.auth.tokenEndpoint, clientId, clientSecret, tokenEndpointAuthMethod: method });
        const response = await api.get('/p');
        expect(response.status).toBe(200);
        const [received] = servers.auth.requests.slice(before);
        expect(received.credentials).toEqual({ clientId, clientSecret, via: method === 'client_secret_basic' ? 'basic' : 'post' });
      }),
      { numRuns: 100 },
    );
  });

  it('a credential with a lone surrogate is refused at construction', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF'), fc.string(), (prefix, lone, suffix) => {
        // fc.string() is ASCII, so the surrogate stays unpaired.
        const secret = `${prefix}${lone}${suffix}`;
        expect(() => oauth2(axios.create(), { tokenEndpoint: 'https://a.example/t', clientId: 'id', clientSecret: secret })).toThrow(
          InvalidOptionsError,
        );
      }),
    );
  });
});

describe('property: arbitrary token responses never crash and never produce a bad Authorization header', () => {
  let servers: Servers;
  beforeAll(async () => {
    servers = await startServers();
  });
  afterAll(() => servers.stop());

  const anyToken = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.jsonValue());
  const tokenBody = fc.record(
    {
      access_token: anyToken,
      token_type: fc.oneof(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'mac', ''), fc.jsonValue()),
      expires_in: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  const responseBody = fc.oneof(
    tokenBody.map((body) => JSON.stringify(body)),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ unit: 'binary' }),
  );

  it('every resource request carries "Bearer " and a legal token, or none is sent and the error is typed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(200, 200, 200, 400, 401, 500), responseBody, async (status, body) => {
        servers.auth.override = (_req, res) => {
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
          return true;
        };
        const before = servers.api.requests.length;
        const api = servers.newApi();
        // One attempt per response: what the plugin makes of it is the property, not how it retries a 500.
        oauth2(api, { ...clientOptions(servers), retries: 0, tokenRetry: false });
        const error = await api.get('/p').then(
          () => undefined,
          (e: unknown) => e,
        );
        const sent = servers.api.requests.slice(before);
        if (sent.length === 0) {
          expect(error).toBeInstanceOf(OAuth2Error);
        } else {
          expect(sent).toHaveLength(1);
          expect(sent[0].headers.authorization).toMatch(/^Bearer [\x21-\x7E]+$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
