import { AxiosError } from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, startServers, type Servers } from './support/servers';

describe('401 refresh and replay (`retries`)', () => {
  let servers: Servers;
  beforeEach(async () => {
    servers = await startServers();
  });
  afterEach(() => servers.stop());

  it.each([0, 1, 2, 3])('retries = %d against an API that always answers 401: N+1 requests, N+1 token fetches', async (retries) => {
    servers.api.alwaysUnauthorized = true;
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries });

    const error = await api.post('/orders', { id: 7 }).catch((e: unknown) => e);

    expect(servers.api.requests).toHaveLength(retries + 1);
    expect(servers.auth.requests).toHaveLength(retries + 1);
    // Each replay carried a token it had not used before.
    expect(new Set(servers.api.requests.map((r) => r.headers.authorization)).size).toBe(retries + 1);
    // The caller gets the last 401 as axios gives it: status, headers, body.
    expect(error).toBeInstanceOf(AxiosError);
    const { response } = error as AxiosError;
    expect(response?.status).toBe(401);
    expect(response?.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(response?.headers['x-reason']).toBe('token refused');
    expect(response?.data).toEqual({ error: 'invalid_token' });
  });

  it('the default is one replay', async () => {
    servers.api.alwaysUnauthorized = true;
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await expect(api.get('/x')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests).toHaveLength(2);
  });

  it('a revoked token is replaced and the request succeeds on replay', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    const response = await api.get('/after-revocation');
    expect(response.status).toBe(200);
    expect(servers.api.requests.map((r) => r.status)).toEqual([200, 401, 200]);
    expect(servers.auth.requests).toHaveLength(2);
  });

  it.each([403, 500])('a %d is not replayed', async (status) => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 3 });
    await api.get('/warm');
    const { default: http } = await import('node:http');
    const other = http.createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as { port: number };
    try {
      await expect(api.get(`http://127.0.0.1:${port}/x`)).rejects.toMatchObject({ response: { status } });
    } finally {
      other.close();
    }
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a network error from the resource is not replayed', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 3, origins: '*' });
    await api.get('/warm');
    await expect(api.get('http://127.0.0.1:1/unreachable')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a 401 on a request with its own Authorization header is not ours to replay', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 3 });
    await expect(api.get('/x', { headers: { Authorization: 'Bearer not-from-plugin' } })).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests).toHaveLength(1);
    expect(servers.auth.requests).toHaveLength(0);
  });

  it('replaying error.config by hand attaches a fresh token', async () => {
    servers.api.alwaysUnauthorized = true;
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 0 });
    const error = (await api.get('/x').catch((e: unknown) => e)) as AxiosError;
    expect(error.config?.headers.Authorization).toBeUndefined();
    servers.api.alwaysUnauthorized = false;
    const response = await api.request(error.config!);
    expect(response.status).toBe(200);
    expect(servers.api.requests[1].headers.authorization).toMatch(/^Bearer \S+$/);
    expect(servers.auth.requests).toHaveLength(2);
  });
});
