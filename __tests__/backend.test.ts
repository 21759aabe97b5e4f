import axios from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('the token request goes through `backend`, never through the authorized instance', () => {
  const servers = useServers();

  it("the authorized instance's interceptors never see the token request", async () => {
    const api = servers.newApi();
    const seen: string[] = [];
    api.interceptors.request.use((config) => {
      seen.push(`${config.baseURL ?? ''}|${config.url}`);
      return config;
    });
    oauth2(api, clientOptions(servers));
    await api.get('/r');
    servers.auth.revokeAll();
    await api.get('/r2');
    expect(servers.auth.requests).toHaveLength(2);
    expect(seen).toEqual([`${servers.api.url}|/r`, `${servers.api.url}|/r2`]);
    expect(servers.auth.requests.every((r) => (r.headers.authorization ?? '').startsWith('Basic '))).toBe(true);
  });

  it('a backend instance of your own sends it, with its own interceptors and headers', async () => {
    const backend = axios.create({ headers: { 'X-Backend': 'mine' } });
    let backendCalls = 0;
    backend.interceptors.request.use((config) => {
      backendCalls += 1;
      return config;
    });
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend });
    await api.get('/r');
    expect(backendCalls).toBe(1);
    expect(servers.auth.requests[0].headers['x-backend']).toBe('mine');
  });

  it('a backend request config is used for the private instance', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend: { headers: { 'X-Config': 'yes' } } });
    await api.get('/r');
    expect(servers.auth.requests[0].headers['x-config']).toBe('yes');
  });
});

describe('a backend that shapes its responses, and the agents the token request uses', () => {
  const servers = useServers();

  it('a backend instance whose response interceptor returns response.data still gets its token', async () => {
    const backend = axios.create();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- on purpose: an app's interceptor that hands on the body, not the response
    backend.interceptors.response.use((response) => response.data);
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), backend });
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
    expect(await auth.getToken()).toBe(servers.auth.everIssued[0]);
  });

  it('a backend response interceptor that rejects what it sees does not hide the token endpoint’s answer', async () => {
    const backend = axios.create();
    backend.interceptors.response.use(() => Promise.reject(new Error('shaped away')));
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend });
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
    servers.auth.override = (_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_scope"}');
      return true;
    };
    servers.auth.revokeAll();
    await expect(api.get('/r2')).rejects.toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 400, error: 'invalid_scope' });
  });

  it('token requests never use the app’s global agents (their pooled sockets would hold the Basic header)', async () => {
    const { default: http } = await import('node:http');
    // An agent names its pools `host:port:…`.
    const authPool = `${new URL(servers.auth.url).host}:`;
    const pooledForAuth = () =>
      [...Object.keys(http.globalAgent.sockets), ...Object.keys(http.globalAgent.freeSockets)].filter((name) => name.startsWith(authPool));
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/r');
    expect(servers.auth.requests).toHaveLength(1);
    expect(pooledForAuth()).toEqual([]);
  });

  it('a backend that brings its own agent keeps it', async () => {
    const { default: http } = await import('node:http');
    const agent = new http.Agent({ keepAlive: true });
    try {
      const backend = axios.create({ httpAgent: agent });
      const api = servers.newApi();
      oauth2(api, { ...clientOptions(servers), backend });
      await api.get('/r');
      expect(Object.keys(agent.freeSockets).length + Object.keys(agent.sockets).length).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});

describe('a backend that brings an agent for one protocol only', () => {
  const servers = useServers();

  it('its http token requests still never use the global agent', async () => {
    const { default: http } = await import('node:http');
    const { default: https } = await import('node:https');
    const httpsAgent = new https.Agent({ keepAlive: true });
    try {
      const backend = axios.create({ httpsAgent });
      const authPool = `${new URL(servers.auth.url).host}:`;
      const api = servers.newApi();
      oauth2(api, { ...clientOptions(servers), backend });
      await api.get('/r');
      const pooled = [...Object.keys(http.globalAgent.sockets), ...Object.keys(http.globalAgent.freeSockets)].filter((name) =>
        name.startsWith(authPool),
      );
      expect(pooled).toEqual([]);
    } finally {
      httpsAgent.destroy();
    }
  });
});
