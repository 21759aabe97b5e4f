import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { AxiosError, AxiosHeaders } from 'axios';
import { oauth2 } from '../lib';
import { useFakeClock } from './support/fake-clock';
import { clientOptions, useServers } from './support/servers';
import { hasInterceptorOrderingOption } from './support/axios-features';

/** How the plugin behaves next to the caller's own interceptors and settings. */
describe('the plugin among other interceptors', () => {
  const servers = useServers();

  it('with a cached token and only synchronous interceptors, the request is dispatched with the token before request() returns', async () => {
    const api = servers.newApi();
    const dispatched: unknown[] = [];
    // The adapter is the point of sending: what it receives is what goes on the wire.
    api.defaults.adapter = (config) => {
      dispatched.push(config.headers.Authorization);
      return Promise.resolve({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config, request: {} });
    };
    // Registered first, so (axios runs request interceptors last-in, first-out) it runs after ours.
    api.interceptors.request.use((config) => config, undefined, { synchronous: true });
    const auth = oauth2(api, clientOptions(servers));
    const token = await auth.getToken();
    const pending = api.get('/sync');
    // No promise chain was built: axios ran every interceptor and the dispatch synchronously.
    expect(dispatched).toEqual([`Bearer ${token}`]);
    await pending;
  });

  it('an asynchronous interceptor among them: the asynchronous path runs, and the token still reaches the wire', async () => {
    const api = servers.newApi();
    api.interceptors.request.use(async (config) => config);
    const auth = oauth2(api, clientOptions(servers));
    const token = await auth.getToken();
    const pending = api.get('/async');
    expect(servers.api.requests).toHaveLength(0);
    await pending;
    expect(servers.api.requests[0].headers.authorization).toBe(`Bearer ${token}`);
  });

  it('an asynchronous interceptor that outlasts the token: a fresh one is fetched, the stale one is not sent', async () => {
    const clock = useFakeClock();
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), retries: 0 });
    const stale = await auth.getToken();
    // Added after oauth2(), so it runs before ours: the token expires while it works.
    api.interceptors.request.use(async (config) => {
      clock.advanceSeconds(3_600);
      return config;
    });
    await expect(api.get('/slow')).resolves.toMatchObject({ status: 200 });
    expect(servers.api.requests[0].headers.authorization).not.toBe(`Bearer ${stale}`);
    expect(servers.auth.requests).toHaveLength(2);
  });

  // Axios that lacks the option has the legacy order only.
  it.each(hasInterceptorOrderingOption ? [true, false] : [true])('works with legacyInterceptorReqResOrdering = %s', async (legacy) => {
    const api = servers.newApi();
    if (hasInterceptorOrderingOption) api.defaults.transitional = { ...api.defaults.transitional, legacyInterceptorReqResOrdering: legacy };
    api.interceptors.request.use((config) => config, undefined, { synchronous: true });
    oauth2(api, clientOptions(servers));
    await api.get('/cold');
    await api.get('/warm');
    servers.auth.revokeAll();
    await api.get('/replayed');
    expect(servers.api.requests.map((r) => [r.url, r.status])).toEqual([
      ['/cold', 200],
      ['/warm', 200],
      ['/replayed', 401],
      ['/replayed', 200],
    ]);
  });

  it('a config copied by a later interceptor is replayed with its body', async () => {
    const api = servers.newApi();
    api.interceptors.request.use((config) => ({ ...config, headers: config.headers }) as typeof config);
    const auth = oauth2(api, clientOptions(servers));
    await auth.getToken();
    servers.auth.revokeAll();
    await expect(api.post('/orders', { amount: 100 })).resolves.toMatchObject({ status: 200 });
    expect(servers.api.requests.map((r) => [r.status, r.body.toString()])).toEqual([
      [401, '{"amount":100}'],
      [200, '{"amount":100}'],
    ]);
  });

  it('a body a later interceptor rewrote in place is replayed as rewritten', async () => {
    const api = servers.newApi();
    // Registered before oauth2(), so it runs after ours.
    api.interceptors.request.use((config) => {
      config.data = { envelope: config.data as unknown, signature: 'abc' };
      return config;
    });
    const auth = oauth2(api, clientOptions(servers));
    await auth.getToken();
    servers.auth.revokeAll();
    await api.post('/orders', { amount: 100 });
    const bodies = servers.api.requests.map((r) => r.body.toString());
    expect(bodies).toEqual(['{"envelope":{"amount":100},"signature":"abc"}', '{"envelope":{"amount":100},"signature":"abc"}']);
  });

  it('a request whose transformRequest a later interceptor replaced is not replayed: its body was never seen', async () => {
    const api = servers.newApi();
    api.interceptors.request.use((config) => {
      config.transformRequest = [(data: unknown) => JSON.stringify(data)];
      return config;
    });
    const auth = oauth2(api, clientOptions(servers));
    await auth.getToken();
    servers.auth.revokeAll();
    await expect(api.post('/orders', { amount: 100 })).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests).toHaveLength(1);
  });

  it('a request sent elsewhere by a later interceptor, after our token was attached, fails without the token in its error', async () => {
    const { ResourceServer } = await import('../examples/servers/resource-server');
    const stranger = await new ResourceServer(() => false).start();
    try {
      const api = servers.newApi();
      api.interceptors.request.use((config) => {
        config.url = `${stranger.url}/moved`;
        return config;
      });
      const auth = oauth2(api, clientOptions(servers));
      const token = await auth.getToken();
      const error = await api.get('/x').catch((e: unknown) => e);
      expect(error).toMatchObject({ response: { status: 401 } });
      expect(stranger.requests).toHaveLength(1);
      expect(JSON.stringify(error)).not.toContain(token);
      expect(inspect(error, { depth: Infinity })).not.toContain(token);
      expect(servers.auth.requests).toHaveLength(1);
    } finally {
      await stranger.stop();
    }
  });

  it('our token passed by hand to an origin that is not allowed is not replayed there, nor invalidated', async () => {
    const { ResourceServer } = await import('../examples/servers/resource-server');
    const stranger = await new ResourceServer(() => false).start();
    try {
      const api = servers.newApi();
      const auth = oauth2(api, { ...clientOptions(servers), retries: 3 });
      const token = await auth.getToken();
      await expect(api.get(`${stranger.url}/x`, { headers: { Authorization: `Bearer ${token}` } })).rejects.toMatchObject({
        response: { status: 401 },
      });
      expect(stranger.requests).toHaveLength(1);
      expect(servers.auth.requests).toHaveLength(1);
      expect(await auth.getToken()).toBe(token);
    } finally {
      await stranger.stop();
    }
  });

  it("an interceptor's own error passes through untouched", async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const blocked = new AxiosError('blocked by policy', 'E_POLICY', { headers: new AxiosHeaders(), url: '/x' } as never);
    api.interceptors.request.use(() => {
      throw blocked;
    });
    await expect(api.get('/x')).rejects.toBe(blocked);
    const plain = new AxiosError('plain headers', 'E_PLAIN', { headers: { Authorization: 'x' } } as never);
    api.interceptors.request.use(() => {
      throw plain;
    });
    await expect(api.get('/x')).rejects.toBe(plain);
  });

  it("an error that is not axios' passes through with nothing in it hidden", async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const stream = new EventEmitter();
    const own = Object.assign(new Error('not an axios error'), { stream });
    api.interceptors.request.use(() => {
      throw own;
    });
    await expect(api.get('/x')).rejects.toBe(own);
    expect(Object.keys(own)).toEqual(['stream']);
  });

  it('a 401 that validateStatus accepts still drops the refused token', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const old = await auth.getToken();
    servers.auth.revokeAll();
    const response = await api.get('/x', { validateStatus: () => true });
    expect(response.status).toBe(401);
    await expect(api.get('/y')).resolves.toMatchObject({ status: 200 });
    expect(await auth.getToken()).not.toBe(old);
    expect(servers.auth.requests).toHaveLength(2);
  });

  it('a replay does not bring back a default header an interceptor removed', async () => {
    const api = servers.newApi();
    api.defaults.headers.common['X-Api-Key'] = 'k';
    api.interceptors.request.use((config) => {
      config.headers.delete('X-Api-Key');
      return config;
    });
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    await api.get('/x');
    const [first, replay] = servers.api.requests.slice(1);
    expect(replay.status).toBe(200);
    expect(first.headers['x-api-key']).toBeUndefined();
    expect(replay.headers['x-api-key']).toBeUndefined();
  });
});

describe('the dispatch step, called by something other than axios', () => {
  const servers = useServers();

  it('with no config as `this` or no headers object, it passes the data through and attaches nothing', async () => {
    const api = servers.newApi();
    let transforms: unknown;
    // Registered before oauth2(): runs after ours, and sees the transforms our step rides in.
    api.interceptors.request.use((config) => {
      transforms = config.transformRequest;
      return config;
    });
    const handle = oauth2(api, clientOptions(servers));
    await handle.getToken();
    // A transform of the request's own, which the step is fused into: it takes any headers.
    await api.get('/x', { transformRequest: [(data: unknown) => data] });
    const last = (transforms as ((this: unknown, data: unknown, headers: unknown) => unknown)[]).at(-1);
    if (last === undefined) throw new Error('no transform');
    const headers: Record<string, unknown> = {};
    for (const [self, givenHeaders] of [
      [undefined, headers],
      [null, headers],
      ['a string', headers],
      [{ url: '/x', baseURL: servers.api.url, headers }, null],
      [{ url: '/x', baseURL: servers.api.url, headers }, 'a string'],
    ] as const) {
      expect(last.call(self, 'data', givenHeaders)).toBe('data');
    }
    expect(headers).toEqual({});
    // With both (the control), it attaches the token.
    expect(last.call({ url: '/x', baseURL: servers.api.url, method: 'get' }, 'data', headers)).toBe('data');
    expect(headers.Authorization).toBe(`Bearer ${await handle.getToken()}`);
  });
});
