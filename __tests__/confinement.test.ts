import { inspect } from 'node:util';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { AuthorizationServer } from '../examples/servers/authorization-server';
import { oauth2, type OAuth2Handle } from '../lib';
import { axiosCopies, loopbackAgent } from './support/axios-copies';
import axios_ from 'axios';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers } from './support/servers';
import { Site } from './support/site';

/**
 * The token goes only where a request is finally sent (SPEC §6): its URL after every
 * interceptor, a URL object included, and each redirect hop. Run against real servers,
 * on every axios copy the tests have (see support/axios-copies).
 */
describe.each(axiosCopies)('confinement of the token on %s', (_name, axios: AxiosStatic) => {
  let auth: AuthorizationServer;
  let api: Site;
  let foreign: Site;
  let client: AxiosInstance;
  let handle: OAuth2Handle;

  beforeEach(async () => {
    auth = await new AuthorizationServer({ clients: { [CLIENT_ID]: CLIENT_SECRET } }).start();
    api = await new Site((token) => auth.isValid(token)).start();
    foreign = await new Site(() => false).start();
    // By name, so that a redirect can go to a subdomain of it; the allowed origin is this baseURL's.
    client = axios.create({ baseURL: api.named(), httpAgent: loopbackAgent() });
  });
  afterEach(async () => {
    await Promise.all([auth.stop(), api.stop(), foreign.stop()]);
  });

  const authorize = (): OAuth2Handle =>
    (handle = oauth2(client, { tokenEndpoint: auth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 2 }));

  /** The request fails with the 401 of a server that never saw a token, and no token leaks through the error. */
  async function expectUnauthorizedWithoutToken(request: Promise<unknown>): Promise<void> {
    const error = await request.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ response: { status: 401 } });
    for (const token of auth.everIssued) {
      expect(inspect(error, { depth: Infinity })).not.toContain(token);
      expect(JSON.stringify(error)).not.toContain(token);
    }
  }

  it('the API itself gets the token (control)', async () => {
    authorize();
    await expect(client.get('/data')).resolves.toMatchObject({ status: 200 });
    expect(api.requests[0].authorization).toBe(`Bearer ${auth.everIssued[0]}`);
  });

  it('an absolute URL to another origin gets no token, and its 401 fetches none', async () => {
    authorize();
    await handle.getToken();
    await expectUnauthorizedWithoutToken(client.get(`${foreign.url}/data`));
    expect(foreign.requests.map((r) => r.authorization)).toEqual([undefined]);
    expect(auth.requests).toHaveLength(1);
    expect(await handle.getToken()).toBe(auth.everIssued[0]);
  });

  it('a URL object is judged by its own origin, not by baseURL', async () => {
    authorize();
    await handle.getToken();
    // Some axios versions cannot join a URL object to a baseURL and fail before sending: no token leaves either way.
    const error = await client.get(new URL(`${foreign.url}/data`) as never).catch((e: unknown) => e);
    if (foreign.requests.length > 0) expect(error).toMatchObject({ response: { status: 401 } });
    expect(foreign.requests.map((r) => r.authorization)).toEqual(foreign.requests.map(() => undefined));
    for (const token of auth.everIssued) expect(inspect(error, { depth: Infinity })).not.toContain(token);
    expect(auth.requests).toHaveLength(1);
  });

  it('a URL object is judged by its own origin, without a baseURL too', async () => {
    client = axios.create({ httpAgent: loopbackAgent() });
    handle = oauth2(client, {
      tokenEndpoint: auth.tokenEndpoint,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      origins: [api.named()],
    });
    await handle.getToken();
    const error = await client.get(new URL(`${foreign.url}/data`) as never).catch((e: unknown) => e);
    if (foreign.requests.length > 0) expect(error).toMatchObject({ response: { status: 401 } });
    expect(foreign.requests.map((r) => r.authorization)).toEqual(foreign.requests.map(() => undefined));
    const reached = await client.get(new URL(`${api.named()}/data`) as never).catch((e: unknown) => e);
    // Where axios takes URL objects at all, the allowed origin gets the token.
    if (api.requests.length > 0) {
      expect(reached).toMatchObject({ status: 200 });
      expect(api.requests.map((r) => r.authorization)).toEqual([`Bearer ${auth.everIssued[0]}`]);
    }
    expect(auth.requests).toHaveLength(1);
  });

  it('a 302 to another origin: the hop there carries no token, and its 401 is not ours', async () => {
    authorize();
    await handle.getToken();
    await expectUnauthorizedWithoutToken(client.get(`/redirect?to=${encodeURIComponent(`${foreign.url}/landing`)}`));
    expect(api.requests.map((r) => [r.status, r.authorization])).toEqual([[302, `Bearer ${auth.everIssued[0]}`]]);
    expect(foreign.requests.map((r) => [r.url, r.authorization])).toEqual([['/landing', undefined]]);
    expect(auth.requests).toHaveLength(1);
  });

  it('a 302 to a subdomain (localhost → evil.localhost): the hop there carries no token, and its 401 is not ours', async () => {
    authorize();
    await handle.getToken();
    const evil = `${api.named('evil')}/landing`;
    await expectUnauthorizedWithoutToken(client.get(`/redirect?to=${encodeURIComponent(evil)}`));
    const landed = api.requests.filter((r) => r.host.startsWith('evil.'));
    expect(landed.map((r) => [r.url, r.authorization])).toEqual([['/landing', undefined]]);
    expect(auth.requests).toHaveLength(1);
  });

  it("a redirect hook of the caller's own runs first, once per hop, a config sent again included; the token still comes off", async () => {
    authorize();
    await handle.getToken();
    const hops: string[] = [];
    const beforeRedirect = (options: Record<string, unknown>): void => {
      hops.push(String(options.hostname));
    };
    // To a subdomain, which follow-redirects alone would let the token through to.
    const toEvil = `/redirect?to=${encodeURIComponent(`${api.named('evil')}/landing`)}`;
    const failure = await client.get(toEvil, { beforeRedirect } as object).catch((error: unknown) => error as { config: object });
    expect(hops).toEqual(['evil.localhost']);
    // The failed request's config, sent again by hand: its hook is not wrapped twice.
    await expectUnauthorizedWithoutToken(client.request(failure.config));
    expect(hops).toEqual(['evil.localhost', 'evil.localhost']);
    const landed = api.requests.filter((r) => r.host.startsWith('evil.'));
    expect(landed.map((r) => [r.url, r.authorization])).toEqual([
      ['/landing', undefined],
      ['/landing', undefined],
    ]);
  });

  it('a 302 within the allowed origin keeps the token (control)', async () => {
    authorize();
    await expect(client.get(`/redirect?to=${encodeURIComponent(`${api.named()}/landing`)}`)).resolves.toMatchObject({ status: 200 });
    expect(api.requests.map((r) => [r.url, r.authorization])).toEqual([
      [expect.stringMatching(/^\/redirect/), `Bearer ${auth.everIssued[0]}`],
      ['/landing', `Bearer ${auth.everIssued[0]}`],
    ]);
  });

  it.each(['cold', 'warm'])('an interceptor that runs after ours and sends the request elsewhere: no token there (%s)', async (state) => {
    // Registered before oauth2(): axios runs request interceptors last-in, first-out.
    client.interceptors.request.use((config) => {
      config.url = `${foreign.url}/moved`;
      return config;
    });
    authorize();
    if (state === 'warm') await handle.getToken();
    await expectUnauthorizedWithoutToken(client.get('/data'));
    expect(foreign.requests.map((r) => r.authorization)).toEqual([undefined]);
    expect(auth.requests).toHaveLength(state === 'warm' ? 1 : auth.requests.length);
    expect(api.requests).toHaveLength(0);
  });

  it.each(['cold', 'warm'])(
    'an interceptor that runs before ours and changes baseURL: no token there, none fetched for it (%s)',
    async (state) => {
      authorize();
      if (state === 'warm') await handle.getToken();
      client.interceptors.request.use((config) => {
        config.baseURL = foreign.url;
        return config;
      });
      await expectUnauthorizedWithoutToken(client.get('/data'));
      expect(foreign.requests.map((r) => r.authorization)).toEqual([undefined]);
      expect(auth.requests).toHaveLength(state === 'warm' ? 1 : 0);
    },
  );

  if ('allowAbsoluteUrls' in axios.defaults) {
    it('with allowAbsoluteUrls: false an absolute url is joined to baseURL, so it goes to the API, with the token', async () => {
      authorize();
      await expect(client.get(`${foreign.url}/data`, { allowAbsoluteUrls: false } as never)).resolves.toMatchObject({ status: 200 });
      expect(foreign.requests).toHaveLength(0);
      expect(api.requests.map((r) => r.authorization)).toEqual([`Bearer ${auth.everIssued[0]}`]);
    });
  }
});

describe('instances made from an authorized one', () => {
  const servers = useServers();

  it('axios.create() after oauth2(axios) gives instances that attach no token', async () => {
    const { default: axios } = await import('axios');
    const auth = oauth2(axios, { ...clientOptions(servers), origins: [servers.api.url] });
    try {
      await auth.getToken();
      const other = axios.create({ baseURL: servers.api.url });
      await expect(other.get('/sdk')).rejects.toMatchObject({ response: { status: 401 } });
      expect(servers.api.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
      // The global instance itself still does.
      await expect(axios.get(`${servers.api.url}/global`)).resolves.toMatchObject({ status: 200 });
    } finally {
      auth.eject();
    }
  });

  it('instance.create() of an authorized instance attaches no token', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    await auth.getToken();
    const child = api.create();
    await expect(child.get(`${servers.api.url}/child`)).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.api.requests[0].headers.authorization).toBeUndefined();
  });

  it('a cold request that an interceptor after ours sends to the allowed origin gets its token through a replay', async () => {
    const api = axios_.create({ baseURL: 'http://placeholder.invalid' });
    // Registered before oauth2(): runs after ours, and only then names the real API (service discovery).
    api.interceptors.request.use((config) => {
      config.baseURL = servers.api.url;
      return config;
    });
    oauth2(api, { ...clientOptions(servers), origins: [servers.api.url] });
    await expect(api.get('/discovered')).resolves.toMatchObject({ status: 200 });
    expect(servers.api.requests.map((r) => [r.status, r.headers.authorization === undefined])).toEqual([
      [401, true],
      [200, false],
    ]);
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('the same with retries: 0: the 401 is returned as axios raised it, and no token is fetched for it', async () => {
    const api = axios_.create({ baseURL: 'http://placeholder.invalid' });
    api.interceptors.request.use((config) => {
      config.baseURL = servers.api.url;
      return config;
    });
    oauth2(api, { ...clientOptions(servers), origins: [servers.api.url], retries: 0 });
    await expect(api.get('/discovered')).rejects.toMatchObject({ isAxiosError: true, response: { status: 401 } });
    expect(servers.api.requests).toHaveLength(1);
    expect(servers.auth.requests).toHaveLength(0);
  });
});
