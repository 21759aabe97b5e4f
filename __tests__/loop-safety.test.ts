import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

/** Every case must end, quickly, with a bounded number of requests and a clear outcome. */
describe('loop safety', () => {
  const servers = useServers();

  it('a resource that always answers 401: retries + 1 tries, then the 401', async () => {
    servers.api.alwaysUnauthorized = true;
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 3 });
    const started = Date.now();
    await expect(api.get('/r')).rejects.toMatchObject({ response: { status: 401 } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(servers.api.requests).toHaveLength(4);
    expect(servers.auth.requests).toHaveLength(4);
  });

  it('20 concurrent requests against an always-401 resource stay bounded', async () => {
    servers.api.alwaysUnauthorized = true;
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => api.get('/r')));
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as { response?: { status: number } }).response?.status === 401)).toBe(
      true,
    );
    expect(servers.api.requests).toHaveLength(40);
    // One cold fetch, then refreshes shared by the 401s that arrive together.
    expect(servers.auth.requests.length).toBeLessThanOrEqual(21);
  });

  it('a token endpoint that answers 401: one token request, no resource request, a token error', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), clientSecret: 'not-the-secret', retries: 5 });
    await expect(api.get('/r')).rejects.toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 401 });
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests).toHaveLength(0);
  });

  it('a token endpoint issuing tokens the resource always rejects: bounded, then the 401', async () => {
    let n = 0;
    servers.auth.override = (_req, res) => {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ access_token: `unknown-${++n}`, token_type: 'Bearer', expires_in: 3600 }));
      return true;
    };
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 2 });
    await expect(api.get('/r')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer unknown-1', 'Bearer unknown-2', 'Bearer unknown-3']);
    expect(servers.auth.requests).toHaveLength(3);
  });
});
