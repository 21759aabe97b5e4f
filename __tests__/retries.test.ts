import { AxiosError } from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('401 refresh and replay (`retries`)', () => {
  const servers = useServers();

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
    const { listenOnLoopback } = await import('../examples/servers/listen');
    const seen: (string | undefined)[] = [];
    const other = await listenOnLoopback((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(status).end();
    });
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 3, origins: '*' });
    try {
      await expect(api.get(`${other.url}/x`)).rejects.toMatchObject({ response: { status } });
    } finally {
      await other.close();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^Bearer \S+$/);
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a 401 that validateStatus lets through is returned as it is, and its token is dropped: the next request fetches another', async () => {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const first = await handle.getToken();
    servers.auth.revokeAll();
    const response = await api.get('/accepted', { validateStatus: () => true });
    expect(response.status).toBe(401);
    expect(servers.auth.requests).toHaveLength(1);
    await expect(api.get('/next')).resolves.toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(2);
    expect(servers.api.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/accepted', `Bearer ${first}`],
      ['/next', `Bearer ${servers.auth.everIssued[1]}`],
    ]);
  });

  it('a 401 that validateStatus lets through, to a request with its own Authorization, leaves our token cached', async () => {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const token = await handle.getToken();
    const response = await api.get('/own', { headers: { Authorization: 'Bearer not-from-plugin' }, validateStatus: () => true });
    expect(response.status).toBe(401);
    await expect(api.get('/next')).resolves.toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer not-from-plugin', `Bearer ${token}`]);
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
    await expect(api.get('/x', { headers: { Authorization: 'Bearer not-from-plugin' } })).rejects.toMatchObject({
      response: { status: 401 },
    });
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

  it('interceptors added after oauth2() see one request and its final outcome, however many replays', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), retries: 2 });
    await auth.getToken();
    servers.auth.revokeAll();
    const seenRequests: string[] = [];
    let seenErrors = 0;
    api.interceptors.request.use((config) => {
      seenRequests.push(config.url ?? '');
      return config;
    });
    api.interceptors.response.use(
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- on purpose: an app's interceptor that hands on the body, not the response
      (response) => response.data,
      (error: unknown) => {
        seenErrors += 1;
        return Promise.reject(error);
      },
    );
    // Replayed once, then answered 200: the body is unwrapped once, not twice.
    await expect(api.get('/unwrap')).resolves.toEqual({ ok: true, path: '/unwrap' });
    servers.api.alwaysUnauthorized = true;
    await expect(api.get('/always-401')).rejects.toMatchObject({ response: { status: 401 } });
    expect(seenErrors).toBe(1);
    expect(seenRequests).toEqual(['/unwrap', '/always-401']);
    expect(servers.api.requests.map((r) => r.url)).toEqual(['/unwrap', '/unwrap', '/always-401', '/always-401', '/always-401']);
  });

  it('a replay keeps headers the caller suppressed with false', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    await api.get('/x', { headers: { 'User-Agent': false } });
    const [first, replay] = servers.api.requests.slice(1);
    expect(first.headers['user-agent']).toBeUndefined();
    // A replay is sent with a plain copy of the final headers, which every axios merges keeping `false`.
    expect(replay.headers['user-agent']).toBeUndefined();
    expect(replay.status).toBe(200);
  });

  it('a 401 to a request whose token a later interceptor replaced is not ours: no invalidation, no replay', async () => {
    const api = servers.newApi();
    // Registered before oauth2(), so (axios runs request interceptors last-in, first-out) it runs after ours.
    api.interceptors.request.use((config) => {
      if (config.url === '/static') config.headers.set('Authorization', 'Bearer static-token');
      return config;
    });
    const auth = oauth2(api, { ...clientOptions(servers), retries: 3 });
    const token = await auth.getToken();
    await expect(api.get('/static')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests).toHaveLength(1);
    expect(servers.auth.requests).toHaveLength(1);
    expect(await auth.getToken()).toBe(token);
  });
});
