import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('a burst of 401s after a revocation', () => {
  const servers = useServers();

  it('100 concurrent requests answered 401 lead to exactly one new token request, and all succeed on replay', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    servers.api.requests.length = 0;

    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => api.get(`/burst/${i}`)));

    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(servers.auth.requests).toHaveLength(2);
    const refused = servers.api.requests.filter((r) => r.status === 401);
    const served = servers.api.requests.filter((r) => r.status === 200);
    expect(refused).toHaveLength(100);
    expect(served).toHaveLength(100);
    expect(new Set(served.map((r) => r.headers.authorization)).size).toBe(1);
  });
});
