import { oauth2 } from '../lib';
import { interceptorCount } from './support/interceptors';
import { clientOptions, useServers } from './support/servers';

describe('eject()', () => {
  const servers = useServers();

  it('restores the instance: no token and no replay afterwards', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), retries: 3 });
    await api.get('/with-token');
    auth.eject();
    await expect(api.get('/without-token')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests.map((r) => r.headers.authorization === undefined)).toEqual([false, true]);
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('removes exactly the interceptors it added', () => {
    const api = servers.newApi();
    const before = interceptorCount(api);
    const auth = oauth2(api, clientOptions(servers));
    expect(interceptorCount(api)).toBeGreaterThan(before);
    auth.eject();
    expect(interceptorCount(api)).toBe(before);
  });

  it('leaves the interceptors the user added in place', async () => {
    const api = servers.newApi();
    const seen: string[] = [];
    api.interceptors.request.use((config) => {
      seen.push(config.url ?? '');
      return config;
    });
    oauth2(api, clientOptions(servers)).eject();
    await api.get('/x').catch(() => undefined);
    expect(seen).toEqual(['/x']);
  });
});
