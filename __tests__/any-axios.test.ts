import type { AxiosInstance, AxiosStatic } from 'axios';
import { oauth2 } from '../lib';
import { axiosCopies } from './support/axios-copies';
import { clientOptions, useServers } from './support/servers';

/**
 * The plugin takes everything from the instance it is given (SPEC §7): these run the
 * same behaviour on separate copies of axios (the current 1.x or 1.6.0, and 0.27.2,
 * whose headers are plain objects with `common` and per-method sections), none of
 * which is the copy the library itself would import.
 */
describe.each(axiosCopies)('on %s', (_name, axios: AxiosStatic) => {
  const servers = useServers();
  const newApi = (): AxiosInstance => axios.create({ baseURL: servers.api.url, headers: { 'X-Instance': 'fleet-7' } });

  it('a revoked token is refreshed once and the request replayed with the same bytes and headers', async () => {
    const api = newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/cold');
    servers.auth.revokeAll();
    const [read, write] = await Promise.all([
      api.get('/read'),
      api.post('/write', { amount: 100, note: 'ü' }, { headers: { 'X-Request': 'r-1' } }),
    ]);
    expect([read.status, write.status]).toEqual([200, 200]);
    expect(servers.auth.requests).toHaveLength(2);
    const writes = servers.api.requests.filter((r) => r.url === '/write');
    expect(
      writes.map((r) => [r.status, r.body.toString(), r.headers['x-request'], r.headers['x-instance'], r.headers['content-type']]),
    ).toEqual([
      [401, '{"amount":100,"note":"ü"}', 'r-1', 'fleet-7', 'application/json'],
      [200, '{"amount":100,"note":"ü"}', 'r-1', 'fleet-7', 'application/json'],
    ]);
    expect(writes[1].headers.authorization).toBe(`Bearer ${servers.auth.everIssued[1]}`);
  });

  it('an Authorization in the instance defaults (common, or the request method) is the caller’s own', async () => {
    const api = newApi();
    (api.defaults.headers as unknown as Record<string, Record<string, string>>).common.Authorization = 'Bearer from-common';
    oauth2(api, clientOptions(servers));
    await expect(api.get('/common')).rejects.toMatchObject({ response: { status: 401 } });
    const perMethod = newApi();
    (perMethod.defaults.headers as unknown as Record<string, Record<string, string>>).get.Authorization = 'Bearer for-get-only';
    oauth2(perMethod, clientOptions(servers));
    await expect(perMethod.get('/get')).rejects.toMatchObject({ response: { status: 401 } });
    // A POST is not covered by the GET section: it gets ours.
    await expect(perMethod.post('/post', {})).resolves.toMatchObject({ status: 200 });
    expect(servers.api.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/common', 'Bearer from-common'],
      ['/get', 'Bearer for-get-only'],
      ['/post', `Bearer ${servers.auth.everIssued[0]}`],
    ]);
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a request canceled while it waits for its token rejects with this axios’ own cancel error', async () => {
    servers.auth.delayMs = 300;
    const api = newApi();
    oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    const pending = api.get('/a', { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    const error = await pending;
    expect(axios.isCancel(error)).toBe(true);
    expect(error).toBeInstanceOf(axios.CanceledError);
    expect(servers.api.requests).toHaveLength(0);
  });

  it('with a cached token and synchronous interceptors only, the request is dispatched before request() returns', async () => {
    const api = newApi();
    const dispatched: unknown[] = [];
    api.defaults.adapter = ((config: { headers: Record<string, unknown> }) => {
      dispatched.push(config.headers.Authorization);
      return Promise.resolve({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config, request: {} });
    }) as never;
    api.interceptors.request.use((config) => config, undefined, { synchronous: true });
    const auth = oauth2(api, clientOptions(servers));
    const token = await auth.getToken();
    const pending = api.get('/sync');
    expect(dispatched).toEqual([`Bearer ${token}`]);
    await pending;
  });

  it('eject() leaves the app’s interceptors, before and after ours, in place', async () => {
    const api = newApi();
    const seen: string[] = [];
    api.interceptors.request.use((config) => (seen.push('before'), config));
    const auth = oauth2(api, clientOptions(servers));
    api.interceptors.request.use((config) => (seen.push('after'), config));
    api.interceptors.response.use((response) => (seen.push('response'), response));
    await api.get('/with');
    auth.eject();
    await expect(api.get('/without')).rejects.toMatchObject({ response: { status: 401 } });
    expect(seen).toEqual(['after', 'before', 'response', 'after', 'before']);
    expect(servers.api.requests.map((r) => r.headers.authorization === undefined)).toEqual([false, true]);
  });

  const managerOf = (api: AxiosInstance) => api.interceptors.request as unknown as { clear?: () => void };
  if (typeof managerOf(axios.create()).clear === 'function') {
    it('eject() after interceptors.clear() removes none of the app’s interceptors', async () => {
      const api = newApi();
      const auth = oauth2(api, clientOptions(servers));
      managerOf(api).clear!();
      const seen: string[] = [];
      api.interceptors.request.use((config) => (seen.push('app 1'), config));
      api.interceptors.request.use((config) => (seen.push('app 2'), config));
      auth.eject();
      await api.get('/x').catch(() => undefined);
      expect(seen).toEqual(['app 2', 'app 1']);
    });
  }
});

/**
 * An axios instance is told by what the library uses of it, never by class: a function with
 * request, create, defaults and both interceptor managers. Without any one of them it is refused.
 */
describe('what counts as an axios instance', () => {
  const valid = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'id', clientSecret: 'secret' };
  const use = (): number => 0;

  function lookalike(without?: string): unknown {
    const parts: Record<string, unknown> = {
      request: () => Promise.resolve(),
      create: () => undefined,
      defaults: { headers: {} },
      interceptors: { request: { use, eject: use }, response: { use, eject: use } },
    };
    if (without === 'request.use') parts.interceptors = { request: {}, response: { use, eject: use } };
    if (without === 'response.use') parts.interceptors = { request: { use, eject: use }, response: {} };
    if (without === 'interceptors.request') parts.interceptors = { response: { use, eject: use } };
    if (without === 'interceptors.response') parts.interceptors = { request: { use, eject: use } };
    const kept = Object.entries(parts).filter(([name]) => name !== without);
    return Object.assign(() => Promise.resolve(), Object.fromEntries(kept));
  }

  it('a function with every part is taken for one', () => {
    expect(() => oauth2(lookalike() as AxiosInstance, valid)).not.toThrow();
  });

  it.each([
    'request',
    'create',
    'defaults',
    'interceptors',
    'request.use',
    'response.use',
    'interceptors.request',
    'interceptors.response',
  ])('a function without %s is refused', (part) => {
    expect(() => oauth2(lookalike(part) as AxiosInstance, valid)).toThrow(/"instance": expected an axios instance/);
  });

  it('an object with every part but not callable is refused', () => {
    const { request, create, defaults, interceptors } = lookalike() as Record<string, unknown>;
    expect(() => oauth2({ request, create, defaults, interceptors } as never, valid)).toThrow(/"instance": expected an axios instance/);
  });
});
