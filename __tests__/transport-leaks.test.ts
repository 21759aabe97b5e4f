import { inspect } from 'node:util';
import type { AxiosStatic } from 'axios';
import { oauth2 } from '../lib';
import { axiosCopies } from './support/axios-copies';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers } from './support/servers';
import { Site } from './support/site';

/**
 * Pooled sockets point at the last request they carried. An error that passes through
 * the plugin, even one it has nothing to do with, must not lead a deep inspection to the
 * header block of another request: a bearer token, or the Basic credentials of a token
 * request in flight. Run on the app's default (global, keep-alive) agents.
 */
describe.each(axiosCopies)('on %s', (_name, axios: AxiosStatic) => {
  const servers = useServers();
  let foreign: Site;
  beforeEach(async () => {
    foreign = await new Site(() => false).start();
  });
  afterEach(async () => {
    await foreign.stop();
  });

  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`.replace(/!/g, '%21')).toString('base64');
  function expectNoCredentials(error: unknown, tokens: readonly string[]): void {
    // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
    const texts = [inspect(error, { depth: Infinity }), (JSON.stringify(error) as string | undefined) ?? ''];
    for (const text of texts) {
      for (const secret of [CLIENT_SECRET, basic, ...tokens]) expect(text).not.toContain(secret);
    }
  }

  it('an error from another origin, after authorized requests on the same agent, leads to no token', async () => {
    const api = axios.create({ baseURL: servers.api.url });
    oauth2(api, clientOptions(servers));
    await api.get('/one');
    await api.get('/two');
    const unrelated = await api.get(`${foreign.url}/x`).catch((e: unknown) => e);
    expect(unrelated).toMatchObject({ response: { status: 401 } });
    expectNoCredentials(unrelated, servers.auth.everIssued);
    const refused = await api.get('http://127.0.0.1:1/closed').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expectNoCredentials(refused, servers.auth.everIssued);
  });

  it('an error while a token request is in flight leads to no Basic credentials', async () => {
    servers.auth.delayMs = 400;
    const api = axios.create({ baseURL: servers.api.url });
    oauth2(api, clientOptions(servers));
    const cold = api.get('/cold');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const unrelated = await api.get(`${foreign.url}/x`).catch((e: unknown) => e);
    expect(unrelated).toMatchObject({ response: { status: 401 } });
    expectNoCredentials(unrelated, []);
    await cold;
    expectNoCredentials(unrelated, servers.auth.everIssued);
  });
});

describe('transport objects are hidden by what they are, not by their property names', () => {
  const servers = useServers();

  it('a socket or request under a name no list would know is not enumerable in the error the app gets', async () => {
    const { default: http } = await import('node:http');
    const { default: net } = await import('node:net');
    const hidden = Symbol('some.future.axios.field');
    const socket = new net.Socket();
    const request = new http.ClientRequest({ host: '127.0.0.1', port: 1, headers: { Authorization: 'Bearer in-the-header-block' } });
    request.on('error', () => undefined);
    request.destroy();
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    api.defaults.adapter = ((config: object) =>
      Promise.reject(Object.assign(new Error('failed'), { isAxiosError: true, config, [hidden]: socket, lastHop: { request } }))) as never;
    const error = (await api.get('/x').catch((e: unknown) => e)) as Record<string | symbol, unknown>;
    expect(inspect(error, { depth: Infinity })).not.toContain('in-the-header-block');
    expect(JSON.stringify(error)).not.toContain('in-the-header-block');
    // Still there for code that asks for it by name.
    expect(error[hidden]).toBe(socket);
    expect((error.lastHop as { request: unknown }).request).toBe(request);
    socket.destroy();
  });
});

describe('what the redaction leaves usable, and errors the plugin never sees', () => {
  const servers = useServers();

  it('sending error.config again keeps its own agent', async () => {
    const { default: http } = await import('node:http');
    const agent = new http.Agent({ keepAlive: true });
    try {
      const api = servers.newApi();
      const auth = oauth2(api, clientOptions(servers));
      await auth.getToken();
      servers.api.alwaysUnauthorized = true;
      const error = (await api.get('/x', { httpAgent: agent }).catch((e: unknown) => e)) as { config: object };
      servers.api.alwaysUnauthorized = false;
      expect(Object.keys(error.config)).toContain('httpAgent');
      const sentAgain = await api.request(error.config);
      expect(sentAgain.status).toBe(200);
      expect((sentAgain.config as { httpAgent?: unknown }).httpAgent).toBe(agent);
      expect(inspect(error, { depth: Infinity })).not.toContain(servers.auth.everIssued[0]);
    } finally {
      agent.destroy();
    }
  });

  it('the socket of a request of ours that failed no longer lists the request it carried', async () => {
    const { default: http } = await import('node:http');
    // An agent of its own: no earlier response of ours has been on this socket.
    const agent = new http.Agent({ keepAlive: true });
    try {
      const api = servers.newApi();
      await oauth2(api, { ...clientOptions(servers), retries: 0 }).getToken();
      servers.api.alwaysUnauthorized = true;
      const error = (await api.get('/x', { httpAgent: agent }).catch((e: unknown) => e)) as { request: { socket: object } };
      const { socket } = error.request;
      expect(Object.getOwnPropertyDescriptor(socket, '_httpMessage')?.enumerable).toBe(false);
      for (const key of Reflect.ownKeys(socket)) {
        const value: unknown = Reflect.get(socket, key);
        if (value instanceof http.ClientRequest) expect(Object.getOwnPropertyDescriptor(socket, key)?.enumerable).toBe(false);
      }
    } finally {
      agent.destroy();
    }
  });

  it('an error of a plain axios call, after authorized requests on the global agent, leads to no token', async () => {
    const { default: axios } = await import('axios');
    const { Site } = await import('./support/site');
    const foreign = await new Site(() => false).start();
    try {
      const api = servers.newApi();
      oauth2(api, clientOptions(servers));
      await api.get('/one');
      await api.get('/two');
      // Another origin: its own socket; the global agent still pools the API socket our requests used.
      const plain = await axios.get(`${foreign.url}/plain-without-plugin`).catch((e: unknown) => e);
      expect(plain).toMatchObject({ response: { status: 401 } });
      for (const token of servers.auth.everIssued) expect(inspect(plain, { depth: Infinity })).not.toContain(token);
    } finally {
      await foreign.stop();
    }
  });
});
