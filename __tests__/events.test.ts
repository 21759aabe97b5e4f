import { oauth2, InvalidOptionsError, type OAuth2Event, type OAuth2EventName, type OAuth2Handle, type OAuth2Options } from '../lib';
import { basicCredentials, formEncode } from './support/encodings';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers } from './support/servers';
import { invalidOptionsErrorOf } from './support/options';

/**
 * `handle.on(event, listener)`: which events a request's life produces, in which order,
 * with which fields; listeners that throw; removal; and no credential in any event.
 */
describe('events on the handle', () => {
  const servers = useServers({ expiresIn: 3600 });
  const ALL: readonly OAuth2EventName[] = [
    'token:fetch',
    'token:attempt',
    'token:attempt-failed',
    'token:issued',
    'token:failed',
    'token:invalidated',
    'token:cooldown-rejected',
    'request:replay',
  ];

  /** Authorizes a fresh instance and records every event of its handle. */
  function recorded(options: Partial<OAuth2Options> = {}): {
    api: ReturnType<typeof servers.newApi>;
    handle: OAuth2Handle;
    events: OAuth2Event[];
  } {
    const api = servers.newApi();
    const handle = oauth2(api, {
      ...clientOptions(servers),
      scope: 'orders:read',
      tokenRetry: { baseDelayMs: 5, maxDelayMs: 10 },
      ...options,
    });
    const events: OAuth2Event[] = [];
    for (const name of ALL) handle.on(name, (event) => events.push(event));
    return { api, handle, events };
  }

  const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => Promise.reject(new Error('expected a failure')),
      (error: unknown) => error,
    );
  const names = (events: readonly OAuth2Event[]) => events.map((event) => event.event);

  afterEach(() => {
    // Nothing that authenticates, in any event of any test.
    const forbidden = [CLIENT_SECRET, formEncode(CLIENT_SECRET), basicCredentials(CLIENT_ID, CLIENT_SECRET), ...servers.auth.everIssued];
    const seen = JSON.stringify(everySeen);
    for (const needle of forbidden) expect(seen).not.toContain(needle);
    everySeen.length = 0;
  });
  const everySeen: OAuth2Event[] = [];
  const keep = (events: OAuth2Event[]) => everySeen.push(...events);

  it('a cold request: fetch, attempt, issued, each with the client fields; cached requests add nothing', async () => {
    const { api, events } = recorded();
    await api.get('/a');
    await api.get('/b');
    keep(events);
    expect(names(events)).toEqual(['token:fetch', 'token:attempt', 'token:issued']);
    const client = {
      tokenEndpoint: servers.auth.tokenEndpoint,
      clientId: CLIENT_ID,
      grantType: 'client_credentials',
      scope: 'orders:read',
    };
    expect(events[0]).toEqual({ event: 'token:fetch', ...client, fetchId: 1, renewal: false });
    expect(events[1]).toEqual({ event: 'token:attempt', ...client, fetchId: 1, attempt: 1, renewal: false });
    expect(events[2]).toEqual({
      event: 'token:issued',
      ...client,
      fetchId: 1,
      attempts: 1,
      durationMs: expect.any(Number) as unknown,
      renewal: false,
      source: 'endpoint',
      expiresInMs: 3_600_000,
    });
  });

  it('the token endpoint is shown without its query string', async () => {
    const { handle, events } = recorded({ tokenEndpoint: `${servers.auth.tokenEndpoint}?tenant=t-123` });
    await handle.getToken().catch(() => undefined);
    keep(events);
    expect(events[0].tokenEndpoint).toBe(servers.auth.tokenEndpoint);
    expect(JSON.stringify(events)).not.toContain('t-123');
  });

  it('a retried failure: attempt-failed with the status and the wait, then issued after two attempts', async () => {
    let calls = 0;
    servers.auth.override = (_req, res) => {
      if ((calls += 1) > 1) return false;
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
      return true;
    };
    const { api, events } = recorded();
    await api.get('/a');
    keep(events);
    expect(names(events)).toEqual(['token:fetch', 'token:attempt', 'token:attempt-failed', 'token:attempt', 'token:issued']);
    expect(events[2]).toMatchObject({
      attempt: 1,
      status: 503,
      error: 'temporarily_unavailable',
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      retryInMs: expect.any(Number) as unknown,
    });
    expect((events[2] as OAuth2Event<'token:attempt-failed'>).retryInMs).toBeLessThanOrEqual(5);
    expect(events[4]).toMatchObject({ event: 'token:issued', attempts: 2 });
  });

  it('a failed fetch, then a request refused during the cooldown', async () => {
    const { api, events } = recorded({ clientSecret: 'wrong' });
    const first = await failureOf(api.get('/a'));
    const second = await failureOf(api.get('/b'));
    keep(events);
    // The same failure, in an error of its own (see cooldown.test).
    expect(second).not.toBe(first);
    expect(second).toMatchObject({
      name: 'TokenEndpointError',
      code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      status: 401,
      error: 'invalid_client',
      message: (first as Error).message,
    });
    expect(names(events)).toEqual(['token:fetch', 'token:attempt', 'token:attempt-failed', 'token:failed', 'token:cooldown-rejected']);
    expect(events[2]).not.toHaveProperty('retryInMs');
    expect(events[3]).toMatchObject({
      status: 401,
      error: 'invalid_client',
      attempts: 1,
      cooldownMs: 1000,
      tokenStillValid: false,
      renewal: false,
    });
    expect(events[4]).toMatchObject({
      status: 401,
      error: 'invalid_client',
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      remainingMs: expect.any(Number) as unknown,
    });
    expect((events[4] as OAuth2Event<'token:cooldown-rejected'>).remainingMs).toBeGreaterThan(0);
    expect((events[4] as OAuth2Event<'token:cooldown-rejected'>).remainingMs).toBeLessThanOrEqual(1000);
  });

  it('a 401 from the API: invalidated (unauthorized), a new fetch, and the replay with method and URL without query', async () => {
    const { api, events } = recorded();
    await api.get('/a');
    servers.auth.revokeAll();
    events.length = 0;
    await api.post('/orders/7?apiKey=k-999', { n: 1 });
    keep(events);
    expect(names(events)).toEqual(['token:invalidated', 'token:fetch', 'token:attempt', 'token:issued', 'request:replay']);
    expect(events[0]).toMatchObject({ reason: 'unauthorized' });
    expect(events[4]).toMatchObject({ replay: 1, method: 'POST', url: `${servers.api.url}/orders/7` });
    expect(JSON.stringify(events)).not.toContain('k-999');
  });

  it('invalidate() says why the token went; getToken({ forceRefresh: true }) drops nothing, it replaces', async () => {
    const { handle, events } = recorded();
    await handle.getToken();
    handle.invalidate();
    await handle.getToken();
    await handle.getToken({ forceRefresh: true });
    keep(events);
    expect(
      events.filter((event) => event.event === 'token:invalidated').map((event) => (event as OAuth2Event<'token:invalidated'>).reason),
    ).toEqual(['manual']);
    expect(events.filter((event) => event.event === 'token:issued')).toHaveLength(3);
  });

  it('invalidate() with nothing cached and nothing in flight reports nothing', () => {
    const { handle, events } = recorded();
    handle.invalidate();
    expect(events).toEqual([]);
  });

  it('a listener that throws affects neither the request nor the other listeners', async () => {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const seen: string[] = [];
    handle.on('token:issued', () => {
      throw new Error('listener bug');
    });
    handle.on('token:issued', (event) => seen.push(event.event));
    await expect(api.get('/a')).resolves.toMatchObject({ status: 200 });
    expect(seen).toEqual(['token:issued']);
  });

  it('the function on() returns removes that listener only; adding one function twice gives two', async () => {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const calls: string[] = [];
    const listener = (event: OAuth2Event) => calls.push(event.event);
    const off = handle.on('token:attempt', listener);
    handle.on('token:attempt', listener);
    await handle.getToken();
    expect(calls).toHaveLength(2);
    off();
    await handle.getToken({ forceRefresh: true });
    expect(calls).toHaveLength(3);
  });

  it('an unknown event name or a listener that is not a function: InvalidOptionsError naming it', () => {
    const handle = oauth2(servers.newApi(), clientOptions(servers));
    expect(() => handle.on('token:isued' as never, () => {})).toThrow(InvalidOptionsError);
    expect(() => handle.on('token:isued' as never, () => {})).toThrow(/unknown event "token:isued"; expected one of token:fetch/);
    expect(() => handle.on('token:issued', 'nope' as never)).toThrow(/expected a function for event "token:issued"/);
    const unknown = invalidOptionsErrorOf(() => handle.on('token:isued' as never, () => {}));
    expect(unknown.option).toBe('event');
    expect(unknown.message).toContain(`expected one of ${['token:fetch', 'token:attempt', 'token:attempt-failed'].join(', ')}`);
    expect(invalidOptionsErrorOf(() => handle.on(7 as never, () => {})).message).toMatch(/unknown event of type number; expected one of/);
    expect(invalidOptionsErrorOf(() => handle.on('token:issued', 'nope' as never)).option).toBe('listener');
  });
});
