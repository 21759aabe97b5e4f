import { AuthorizationServer } from '../examples/servers/authorization-server';
import { ResourceServer } from '../examples/servers/resource-server';
import axios from 'axios';
import { oauth2, type TokenEndpointAuthMethod } from '../lib';

/** Ids and secrets with every character RFC 6749 §2.3.1 form-encoding must protect. */
const awkwardClients: [string, string][] = [
  ['svc:with:colons', 'pa:ss'],
  ['space id', 'secret with spaces'],
  ['percent%41id', '100%25+sure'],
  ['plus+id', 'a+b=c&d/e'],
  ['slash/id', '/=&:%+ '],
  ['Zürich-Dienst', 'Grüße-ñ-日本語-🔑'],
];

describe('client authentication against a server that decodes per RFC 6749 §2.3.1', () => {
  let auth: AuthorizationServer;
  let api: ResourceServer;

  beforeAll(async () => {
    auth = await new AuthorizationServer({ clients: Object.fromEntries(awkwardClients) }).start();
    api = await new ResourceServer((token) => auth.isValid(token)).start();
  });
  afterAll(async () => {
    await Promise.all([auth.stop(), api.stop()]);
  });

  const methods: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
  describe.each(methods)('%s', (method) => {
    it.each(awkwardClients)('authenticates %j', async (clientId, clientSecret) => {
      const before = auth.requests.length;
      const instance = axios.create({ baseURL: api.url });
      oauth2(instance, { tokenEndpoint: auth.tokenEndpoint, clientId, clientSecret, tokenEndpointAuthMethod: method });
      const response = await instance.get('/invoices');
      expect(response.status).toBe(200);
      const received = auth.requests.slice(before);
      expect(received).toHaveLength(1);
      expect(received[0].credentials).toEqual({ clientId, clientSecret, via: method === 'client_secret_basic' ? 'basic' : 'post' });
      if (method === 'client_secret_post') expect(received[0].headers.authorization).toBeUndefined();
    });
  });

  it('a wrong secret is refused by the server, not replayed as a resource 401', async () => {
    const instance = axios.create({ baseURL: api.url });
    oauth2(instance, { tokenEndpoint: auth.tokenEndpoint, clientId: 'plus+id', clientSecret: 'wrong', retries: 3 });
    const before = auth.requests.length;
    await expect(instance.get('/invoices')).rejects.toMatchObject({
      code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      status: 401,
      error: 'invalid_client',
    });
    expect(auth.requests.length - before).toBe(1);
  });
});
