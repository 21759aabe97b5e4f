import axios, { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { oauth2, TokenRequestError, type OAuth2Options } from '../lib';
import { useFakeClock } from './support/fake-clock';
import { clientOptions, useServers } from './support/servers';

type Clock = ReturnType<typeof useFakeClock>;

/** An answer of the fake servers below, settled as axios' own adapters do: rejected unless the request's validateStatus accepts it. */
function answer(config: InternalAxiosRequestConfig, status: number, data: string): AxiosResponse {
  const response = { data, status, statusText: String(status), headers: {}, config, request: {} };
  if (!config.validateStatus || config.validateStatus(status)) return response;
  throw new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_REQUEST', config, {}, response);
}

/**
 * A token endpoint whose answers the test controls, reached through `backend`: it issues
 * `tok-1`, `tok-2`, … with the given `expires_in` (none when undefined), takes
 * `fetchSeconds` on the faked clock to answer, and fails the calls `fails` picks.
 */
function tokenEndpoint(
  clock: Clock,
  expiresIn: number | undefined,
  { fetchSeconds = 0, fails = () => false }: { fetchSeconds?: number; fails?: (call: number) => boolean } = {},
) {
  let calls = 0;
  let issued = 0;
  const backend = axios.create({
    adapter: async (config) => {
      calls += 1;
      // The library counts the lifetime from when it sent the request: a slow answer eats into it.
      if (fetchSeconds !== 0) clock.advanceSeconds(fetchSeconds);
      if (fails(calls)) throw new Error('authorization server down');
      const body = { access_token: `tok-${++issued}`, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) };
      return answer(config, 200, JSON.stringify(body));
    },
  });
  return { backend, calls: () => calls };
}

/**
 * An API that answers 401 to the tokens in `refused`, 200 to any other; while `holding`,
 * it keeps each request unanswered until the test calls the `release` it queued.
 */
function resourceServer() {
  const refused = new Set<string>();
  const received: string[] = [];
  const held: (() => void)[] = [];
  const server = {
    refused,
    received,
    held,
    holding: false,
    api: axios.create({
      baseURL: 'https://api.example.com',
      adapter: async (config) => {
        const token = String(config.headers.Authorization ?? '').replace(/^Bearer /, '');
        received.push(`${config.url} ${token}`);
        if (server.holding) await new Promise<void>((release) => held.push(release));
        return refused.has(token) ? answer(config, 401, '{"error":"invalid_token"}') : answer(config, 200, 'ok');
      },
    }),
  };
  return server;
}

/** The plugin on a fresh API, getting its tokens from `endpoint`. */
function authorize(endpoint: { backend: OAuth2Options['backend'] }, options: Partial<OAuth2Options> = {}) {
  const resource = resourceServer();
  const handle = oauth2(resource.api, {
    tokenEndpoint: 'https://auth.example.com/token',
    clientId: 'caching-client',
    clientSecret: 'caching-secret',
    backend: endpoint.backend,
    ...options,
  });
  return { handle, resource };
}

/** Lets a background renewal (or any other pending exchange) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The faked clock, and a way to set it to a number of seconds after the test began. */
function testClock() {
  const clock = useFakeClock();
  const start = Date.now();
  return { clock, at: (seconds: number) => clock.advanceSeconds((start + seconds * 1000 - Date.now()) / 1000) };
}

describe('caching and renewal, through the handle and the API', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it.each([
    // lifetime, last second served from cache without renewal, renewal window, expiry (s)
    [3600, 3539, 3540, 3570],
    [60, 56.9, 57, 58.5],
  ])('a %d s token is reused, renewed ahead, and expires with margin', async (lifetime, quiet, renewAt, expiresAt) => {
    const { clock, at } = testClock();
    const endpoint = tokenEndpoint(clock, lifetime);
    const { handle } = authorize(endpoint);
    expect(await handle.getToken()).toBe('tok-1'); // requested at 0 s
    // JavaScript callers may pass null: it counts as no options.
    expect(await handle.getToken(null as never)).toBe('tok-1');

    at(quiet);
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(1);

    // In the renewal window the current token is still served while a new one is fetched.
    at(renewAt);
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(2);
    expect(await handle.getToken()).toBe('tok-2');
    expect(endpoint.calls()).toBe(2);

    // A token that reaches its expiry margin is not handed out any more: callers wait for a new one.
    const freshEndpoint = tokenEndpoint(clock, lifetime);
    const fresh = authorize(freshEndpoint).handle;
    expect(await fresh.getToken()).toBe('tok-1'); // requested now
    clock.advanceSeconds(expiresAt);
    expect(await fresh.getToken()).toBe('tok-2');
    expect(freshEndpoint.calls()).toBe(2);
  });

  it('starts renewing earlier when fetches are slow: twice the last fetch time ahead', async () => {
    const { clock, at } = testClock();
    // Each fetch takes 2 s on the faked clock.
    const endpoint = tokenEndpoint(clock, 60, { fetchSeconds: 2 });
    const { handle } = authorize(endpoint);
    await handle.getToken(); // requested at 0 s, answered at 2 s; expires (minus 1.5 s margin) at 58.5 s
    at(54.4);
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(1);
    at(54.5); // 58.5 s − 2 × 2 s
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(2);
  });

  it("never starts renewing in the first half of a token's life, however slow the last fetch", async () => {
    const { clock, at } = testClock();
    const endpoint = tokenEndpoint(clock, 10, { fetchSeconds: 3 });
    const { handle } = authorize(endpoint);
    // Requested at 0 s, answered at 3 s: expires at 9.75 s; twice the fetch (6 s) ahead would
    // renew at 3.75 s, but renewal is capped to start at half of 9.75 s, 4.875 s.
    await handle.getToken();
    at(4.8);
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(1);
    at(4.9);
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(2);
  });

  it('keeps a token without expires_in until it is invalidated', async () => {
    const { clock, at } = testClock();
    const endpoint = tokenEndpoint(clock, undefined);
    const { handle, resource } = authorize(endpoint);
    await handle.getToken();
    at(365 * 86_400);
    expect(await handle.getToken()).toBe('tok-1');
    // The API refuses it: that drops it, and the request is replayed with a new one.
    resource.refused.add('tok-1');
    await expect(resource.api.get('/after-a-year')).resolves.toMatchObject({ status: 200 });
    expect(resource.received).toEqual(['/after-a-year tok-1', '/after-a-year tok-2']);
    expect(await handle.getToken()).toBe('tok-2');
    expect(endpoint.calls()).toBe(2);
  });

  it('applies defaultLifetime to a token without expires_in', async () => {
    const { clock, at } = testClock();
    const endpoint = tokenEndpoint(clock, undefined);
    const { handle } = authorize(endpoint, { defaultLifetime: 60 });
    await handle.getToken();
    at(50); // 60 s, not 60 ms: still served, and no renewal yet
    expect(await handle.getToken()).toBe('tok-1');
    await settle();
    expect(endpoint.calls()).toBe(1);
    at(58.5);
    expect(await handle.getToken()).toBe('tok-2');
    expect(endpoint.calls()).toBe(2);
  });

  it('invalidates only the token that failed, not its successor', async () => {
    const { clock } = testClock();
    const endpoint = tokenEndpoint(clock, 3600);
    const { handle, resource } = authorize(endpoint);
    await handle.getToken();
    // Two requests leave with tok-1, which the API then refuses.
    resource.refused.add('tok-1');
    resource.holding = true;
    const first = resource.api.get('/first');
    const second = resource.api.get('/second');
    await settle();
    expect(resource.received).toEqual(['/first tok-1', '/second tok-1']);
    resource.holding = false;

    // The first 401 drops tok-1; the request is replayed with tok-2.
    resource.held.shift()!();
    await expect(first).resolves.toMatchObject({ status: 200 });
    expect(endpoint.calls()).toBe(2);

    // The second 401, for tok-1 too, leaves tok-2 in place: no new token request.
    resource.held.shift()!();
    await expect(second).resolves.toMatchObject({ status: 200 });
    expect(resource.received).toEqual(['/first tok-1', '/second tok-1', '/first tok-2', '/second tok-2']);
    expect(await handle.getToken()).toBe('tok-2');
    expect(endpoint.calls()).toBe(2);

    // invalidate() drops whatever is cached.
    handle.invalidate();
    expect(await handle.getToken()).toBe('tok-3');
    expect(endpoint.calls()).toBe(3);
  });

  // Retries within a fetch and the cooldown after it are off here (their own tests are token-retry and cooldown).
  it('shares a failed fetch among its waiters, caches nothing, and tries again on the next call (tokenRetry: false)', async () => {
    const { clock } = testClock();
    const endpoint = tokenEndpoint(clock, 3600, { fails: (call) => call === 1 });
    const { handle } = authorize(endpoint, { tokenRetry: false });
    const waiters = await Promise.allSettled(Array.from({ length: 20 }, () => handle.getToken()));
    // One failure for all of them, each in an error object of its own.
    const reasons = waiters.map((w) => (w.status === 'rejected' ? (w.reason as Error) : new Error('resolved')));
    expect(new Set(reasons.map((r) => `${r.name}: ${r.message}`)).size).toBe(1);
    expect(new Set(reasons).size).toBe(20);
    const [reason] = reasons;
    expect(reason).toBeInstanceOf(TokenRequestError);
    expect(reason.message).toContain('authorization server down');
    expect(endpoint.calls()).toBe(1);
    expect(await handle.getToken()).toBe('tok-1');
    expect(endpoint.calls()).toBe(2);
  });
});

describe('caching against a real authorization server', () => {
  const servers = useServers();

  it('100 concurrent requests on a cold client cause exactly one token request', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => api.get(`/items/${i}`)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(servers.auth.requests).toHaveLength(1);
    const tokens = new Set(servers.api.requests.map((r) => r.headers.authorization));
    expect(tokens.size).toBe(1);
    expect(servers.api.requests).toHaveLength(100);
  });

  it('later requests reuse the cached token', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    for (let i = 0; i < 5; i++) await api.get('/again');
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a failed fetch rejects all its waiters and the next request tries again (tokenRetry: false)', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), tokenRetry: false });
    servers.auth.override = (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
      return true;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => api.get('/x')));
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as { status?: number }).status === 503)).toBe(true);
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests).toHaveLength(0);

    servers.auth.override = undefined;
    await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(2);
  });
});
