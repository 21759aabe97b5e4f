import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { oauth2, type OAuth2Options } from '../lib';
import { originOf, requestURLForEvents } from '../lib/axios/origins';
import { freshModule } from './support/fresh-module';

const tokenEndpoint = 'https://auth.example.com/token';

function setup(instanceConfig: { baseURL?: string }, options: Partial<OAuth2Options> = {}) {
  const api = axios.create(instanceConfig);
  const backend = axios.create();
  const apiMock = new MockAdapter(api);
  apiMock.onAny().reply(200);
  const backendMock = new MockAdapter(backend);
  backendMock.onPost(tokenEndpoint).reply(200, { access_token: 'tok', token_type: 'bearer' });
  oauth2(api, { tokenEndpoint, clientId: 'id', clientSecret: 'secret', backend, ...options });
  const sentAuthorization = async (url: string, config: Parameters<typeof api.get>[1] = {}) => {
    apiMock.resetHistory();
    await api.get(url, config);
    const headers = (apiMock.history.get[0].headers ?? {}) as Record<string, unknown>;
    const name = Object.keys(headers).find((key) => key.toLowerCase() === 'authorization');
    return name === undefined ? undefined : (headers[name] as string);
  };
  return { sentAuthorization, tokenRequests: () => backendMock.history.post.length };
}

describe('which requests get the bearer token (SPEC §6)', () => {
  it('by default, only the origin of the baseURL', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com/v1' });
    expect(await sentAuthorization('/invoices')).toBe('Bearer tok');
    expect(await sentAuthorization('https://api.example.com/other')).toBe('Bearer tok');
    expect(await sentAuthorization('https://API.example.com:443/other')).toBe('Bearer tok');
    expect(await sentAuthorization('https://elsewhere.example.com/invoices')).toBeUndefined();
    expect(await sentAuthorization('http://api.example.com/invoices')).toBeUndefined();
    expect(await sentAuthorization('https://api.example.com.evil.test/')).toBeUndefined();
    expect(await sentAuthorization('https://api.example.com@evil.test/')).toBeUndefined();
  });

  it('follows a per-request baseURL', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' });
    expect(await sentAuthorization('/x', { baseURL: 'https://other.example.com' })).toBeUndefined();
  });

  it('with allowAbsoluteUrls false, judges by the baseURL that axios will use', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' });
    expect(await sentAuthorization('https://elsewhere.example.com/x', { allowAbsoluteUrls: false })).toBe('Bearer tok');
  });

  it('follows a baseURL set on the instance after oauth2()', async () => {
    const api = axios.create();
    const backend = axios.create();
    const apiMock = new MockAdapter(api);
    apiMock.onAny().reply(200);
    new MockAdapter(backend).onPost(tokenEndpoint).reply(200, { access_token: 'tok', token_type: 'Bearer' });
    oauth2(api, { tokenEndpoint, clientId: 'id', clientSecret: 'secret', backend });
    api.defaults.baseURL = 'https://api.example.com';
    await api.get('https://elsewhere.example.com/x');
    await api.get('/y');
    expect(apiMock.history.get.map((r): unknown => r.headers?.Authorization)).toEqual([undefined, 'Bearer tok']);
    // Taken off again (undefined, null or empty): every origin, as with none from the start.
    for (const none of [undefined, null, '']) {
      api.defaults.baseURL = 'https://api.example.com';
      await api.get('https://elsewhere.example.com/x');
      api.defaults.baseURL = none as never;
      await api.get('https://elsewhere.example.com/x');
    }
    expect(apiMock.history.get.slice(2).map((r): unknown => r.headers?.Authorization)).toEqual([
      undefined,
      'Bearer tok',
      undefined,
      'Bearer tok',
      undefined,
      'Bearer tok',
    ]);
  });

  it('a baseURL that names no http(s) origin allows none', async () => {
    const { sentAuthorization } = setup({ baseURL: 'api.example.com/v1' });
    expect(await sentAuthorization('https://api.example.com/x')).toBeUndefined();
  });

  it.each([
    ['no baseURL', {}],
    ['an empty baseURL', { baseURL: '' }],
  ])('every origin when the instance has %s', async (_case, instanceConfig) => {
    const { sentAuthorization } = setup(instanceConfig);
    expect(await sentAuthorization('https://a.example.com/x')).toBe('Bearer tok');
    expect(await sentAuthorization('http://b.example.org:8080/y')).toBe('Bearer tok');
  });

  it.each([
    ['no baseURL', {}],
    ['an empty baseURL', { baseURL: '' }],
  ])(
    'with allowAbsoluteUrls false and %s, an absolute url is judged by itself (there is nothing to join it to)',
    async (_case, instanceConfig) => {
      const { sentAuthorization } = setup(instanceConfig, { origins: ['https://api.example.com'] });
      expect(await sentAuthorization('https://api.example.com/x', { allowAbsoluteUrls: false })).toBe('Bearer tok');
      expect(await sentAuthorization('https://elsewhere.example.com/x', { allowAbsoluteUrls: false })).toBeUndefined();
    },
  );

  it('exactly the listed origins when `origins` is given', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' }, { origins: ['https://files.example.com'] });
    expect(await sentAuthorization('/x')).toBeUndefined();
    expect(await sentAuthorization('https://files.example.com/f')).toBe('Bearer tok');
  });

  it("every origin with origins: '*'", async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' }, { origins: '*' });
    expect(await sentAuthorization('https://anywhere.example.net/x')).toBe('Bearer tok');
  });

  it('a config that carries our token (sent again by hand) loses it on the way to another origin; a header of the caller stays', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' });
    expect(await sentAuthorization('/x')).toBe('Bearer tok');
    expect(await sentAuthorization('https://evil.example.com/x', { headers: { Authorization: 'Bearer tok' } })).toBeUndefined();
    expect(await sentAuthorization('https://other.example.com/x', { headers: { Authorization: 'Bearer mine' } })).toBe('Bearer mine');
  });

  it('a request with its own credentials on a cold client waits for no token and fetches none', async () => {
    const { sentAuthorization, tokenRequests } = setup({ baseURL: 'https://api.example.com' });
    expect(await sentAuthorization('/x', { auth: { username: 'u', password: 'p' } })).not.toBe('Bearer tok');
    expect(await sentAuthorization('/x', { headers: { Authorization: 'Token abc' } })).toBe('Token abc');
    expect(tokenRequests()).toBe(0);
  });

  it('leaves alone a request with its own Authorization header or axios auth', async () => {
    const { sentAuthorization } = setup({ baseURL: 'https://api.example.com' });
    // With a token cached, so that there is one to attach.
    expect(await sentAuthorization('/x')).toBe('Bearer tok');
    expect(await sentAuthorization('/x', { headers: { Authorization: 'Bearer mine' } })).toBe('Bearer mine');
    expect(await sentAuthorization('/x', { headers: { authorization: 'Token abc' } })).toBe('Token abc');
    const withBasic = await sentAuthorization('/x', { auth: { username: 'u', password: 'p' } });
    expect(withBasic).not.toBe('Bearer tok');
  });
});

describe('origins on the wire', () => {
  it('a second loopback origin never receives the token', async () => {
    const { startServers, clientOptions } = await import('./support/servers');
    const { ResourceServer } = await import('../examples/servers/resource-server');
    const servers = await startServers();
    const stranger = await new ResourceServer(() => false).start();
    try {
      const api = servers.newApi();
      oauth2(api, clientOptions(servers));
      await api.get('/mine');
      await expect(api.get(`${stranger.url}/theirs`)).rejects.toMatchObject({ response: { status: 401 } });
      expect(servers.api.requests[0].headers.authorization).toMatch(/^Bearer \S+$/);
      expect(stranger.requests).toHaveLength(1);
      expect(stranger.requests[0].headers.authorization).toBeUndefined();
      expect(servers.auth.requests).toHaveLength(1);
    } finally {
      await Promise.all([servers.stop(), stranger.stop()]);
    }
  });
});

describe('origins and URLs as the library reads them', () => {
  it('originOf: the origin of an absolute http(s) URL only', () => {
    expect(originOf('HTTPS://Api.Example.com:443/v1?q#f')).toBe('https://api.example.com');
    expect(originOf('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    // Absolute by axios' test, but no URL: names no origin, rather than throwing.
    expect(originOf('http://[::1/x')).toBeUndefined();
    for (const other of [
      'ftp://files.example.com/',
      '/relative',
      '//no-scheme.example.com/',
      undefined,
      42,
      new URL('https://api.example.com/'),
    ]) {
      expect(originOf(other)).toBeUndefined();
    }
  });

  it('requestURLForEvents: no url is the baseURL itself; a URL object is read; query and fragment are dropped', () => {
    expect(requestURLForEvents({ url: undefined, baseURL: 'https://api.example.com/v1/' })).toBe('https://api.example.com/v1/');
    expect(requestURLForEvents({ url: null, baseURL: 'https://api.example.com/v1' })).toBe('https://api.example.com/v1/');
    expect(requestURLForEvents({ url: new URL('https://api.example.com/a?k=v') })).toBe('https://api.example.com/a');
    // The base's trailing slashes and the url's leading one make one.
    expect(requestURLForEvents({ url: '/orders/7', baseURL: 'https://api.example.com/v1//' })).toBe('https://api.example.com/v1/orders/7');
    expect(requestURLForEvents({ url: 'orders/7', baseURL: 'https://api.example.com/v1/' })).toBe('https://api.example.com/v1/orders/7');
    expect(requestURLForEvents({ url: 'https://other.example.com/b', baseURL: 'https://api.example.com', allowAbsoluteUrls: false })).toBe(
      'https://api.example.com/https://other.example.com/b',
    );
  });

  // On a copy loaded in the test: axios' pattern for an absolute URL is made when origins.ts loads.
  it("what counts as absolute (axios' own test): a scheme of letters, digits, + - . followed by //, or // alone", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/axios/origins')) as typeof import('../lib/axios/origins');
    const baseURL = 'https://api.example.com';
    expect(fresh.requestURLForEvents({ url: '//cdn.example.com/x', baseURL })).toBe('//cdn.example.com/x');
    expect(fresh.requestURLForEvents({ url: 'git+ssh1://host/p', baseURL })).not.toContain('api.example.com');
    expect(fresh.requestURLForEvents({ url: 'orders//7', baseURL })).toBe('https://api.example.com/orders//7');
    expect(fresh.originOf('HTTP://Api.Example.com/')).toBe('http://api.example.com');
  });

  it('requestURLForEvents: a URL that does not parse (relative, without baseURL) is kept without its query or fragment', () => {
    expect(requestURLForEvents({ url: '/orders/7?api_key=abc' })).toBe('/orders/7');
    expect(requestURLForEvents({ url: 'orders#part' })).toBe('orders');
    expect(requestURLForEvents({ url: 'orders#part', baseURL: '' })).toBe('orders');
    expect(requestURLForEvents({ url: undefined })).toBe('');
    expect(requestURLForEvents({ url: 'http://[::1/x?k=v' })).toBe('http://[::1/x');
  });
});
