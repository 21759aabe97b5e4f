import axios, { type AxiosStatic } from 'axios';
import { oauth2 } from '../lib';
import { interceptorCount } from './support/interceptors';
import { clientOptions, useServers } from './support/servers';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- typed as the current axios's AxiosStatic, as the tests use it
const lowest = require('axios-lowest') as AxiosStatic;

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

  it('with interceptor managers that cannot list their interceptors, still removes its own', () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const managers = [api.interceptors.request, api.interceptors.response] as unknown as { forEach?: unknown }[];
    for (const manager of managers) Object.defineProperty(manager, 'forEach', { value: undefined, configurable: true });
    auth.eject();
    for (const manager of managers) Reflect.deleteProperty(manager, 'forEach');
    expect(interceptorCount(api)).toBe(0);
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

  // axios before 1.21 numbers interceptors from 0 again after clear(): run on that copy too.
  it.each([
    [`axios ${axios.VERSION}`, axios],
    [`axios ${lowest.VERSION}`, lowest],
  ])('after the app cleared the interceptors and added its own, eject() leaves those in place (%s)', async (_name, copy) => {
    const api = copy.create({ baseURL: servers.api.url });
    const auth = oauth2(api, clientOptions(servers));
    api.interceptors.request.clear();
    api.interceptors.response.clear();
    const seen: string[] = [];
    api.interceptors.request.use((config) => {
      seen.push(`request ${config.url ?? ''}`);
      return config;
    });
    api.interceptors.request.use((config) => config);
    api.interceptors.response.use(undefined, (error: unknown) => {
      seen.push('response error');
      return Promise.reject(error);
    });
    auth.eject();
    await api.get('/x').catch(() => undefined);
    expect(seen).toEqual(['request /x', 'response error']);
  });
});

describe('eject() and the default transforms', () => {
  const servers = useServers();

  it('after the app added a default transform behind ours, eject() still stops the token', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    await api.get('/with');
    (api.defaults.transformRequest as ((data: unknown) => unknown)[]).push((data) => data);
    await api.get('/with-appended');
    auth.eject();
    await expect(api.get('/without')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests.map((r) => [r.url, r.headers.authorization === undefined])).toEqual([
      ['/with', false],
      ['/with-appended', false],
      ['/without', true],
    ]);
    // The defaults are the app's again: no function of ours left in them.
    expect((api.defaults.transformRequest as unknown[]).some((t) => Object.getOwnPropertySymbols(t as object).length > 0)).toBe(false);
  });
});
