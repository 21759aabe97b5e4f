import axios from 'axios';
import {
  ClientAssertionError,
  GrantAssertionError,
  oauth2,
  TokenEndpointError,
  type OAuth2Event,
  type OAuth2EventName,
  type OAuth2Handle,
  type OAuth2Options,
} from '../lib';
import { rejectionOf } from './support/options';
import { CLIENT_ID, clientOptions, useServers } from './support/servers';
import { answer, type Fault, hammer, median, scriptTokenEndpoint, sleep, timed } from './support/token-endpoint-script';

/**
 * The cooldown after a token fetch fails for good: for `cooldownMs` (doubling while
 * fetches keep failing, up to `maxCooldownMs`, at least the server's Retry-After, reset
 * by a success) requests that need a token fail at once with that fetch's error and send
 * nothing to the token endpoint. Against the real loopback servers.
 */
/** "At once", for a median of several calls; and the most a single call may take on a loaded machine (still far below any cooldown or server delay here). */
const AT_ONCE_MS = 50;
const LOADED_MACHINE_MS = 250;

describe('the cooldown after a failed token fetch', () => {
  const servers = useServers();

  function connect(options: Partial<OAuth2Options> = {}) {
    const api = servers.newApi();
    const handle = oauth2(api, { ...clientOptions(servers), ...options });
    return { api, handle };
  }

  /** Every event of `name` the handle reports, each with the time it came (performance.now()). */
  function record<Name extends OAuth2EventName>(handle: OAuth2Handle, name: Name) {
    const seen: (OAuth2Event<Name> & { at: number })[] = [];
    handle.on(name, (event) => seen.push(Object.assign(event, { at: performance.now() })));
    return seen;
  }

  describe.each([
    [
      'invalid_client (a wrong secret, the real server’s 401)',
      { clientSecret: 'wrong' },
      (): Fault | undefined => undefined,
      { status: 401, error: 'invalid_client' },
    ],
    [
      'a 503 with retries: 0',
      { tokenRetry: { retries: 0 } },
      (): Fault => answer(503, { error: 'temporarily_unavailable' }),
      { status: 503 },
    ],
  ] as const)('after %s', (_case, options, fault, expected) => {
    it('requests within cooldownMs fail at once with the same error and send no token request; after it, the next one tries again', async () => {
      const failing = fault();
      if (failing !== undefined) scriptTokenEndpoint(servers.auth, [], failing);
      const { api, handle } = connect(options);
      const failed = record(handle, 'token:failed');
      const rejected = record(handle, 'token:cooldown-rejected');
      const first = await api.get('/r').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(TokenEndpointError);
      expect(first).toMatchObject(expected);
      expect(servers.auth.requests).toHaveLength(1);
      expect(failed).toEqual([expect.objectContaining({ cooldownMs: 1_000, attempts: 1, tokenStillValid: false })]);
      const failedAt = failed[0].at;

      const refusedMs: number[] = [];
      for (let i = 0; i < 10; i++) {
        const outcome = await timed(() => api.get(`/during/${i}`));
        expect(outcome.ok).toBe(false);
        expectSameFailure((outcome as { error: unknown }).error, first);
        refusedMs.push(outcome.ms);
      }
      // At once: typically well under a millisecond; the slack is for a loaded machine.
      expect(median(refusedMs)).toBeLessThan(AT_ONCE_MS);
      expect(Math.max(...refusedMs)).toBeLessThan(LOADED_MACHINE_MS);
      // So does getToken().
      expectSameFailure(await handle.getToken().catch((e: unknown) => e), first);
      expect(servers.auth.requests).toHaveLength(1);
      expect(rejected).toHaveLength(11);
      expect(rejected[0]).toMatchObject({ errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT', ...expected });
      expect(rejected[0].remainingMs).toBeLessThanOrEqual(1_000);
      expect(rejected[0].remainingMs).toBeGreaterThan(800);

      // Still refused shortly before the end.
      await sleep(failedAt + 900 - performance.now());
      expectSameFailure(await api.get('/late').catch((e: unknown) => e), first);
      expect(servers.auth.requests).toHaveLength(1);

      await sleep(failedAt + 1_010 - performance.now());
      const after = await api.get('/after').catch((e: unknown) => e);
      expect(servers.auth.requests).toHaveLength(2);
      expect(after).toBeInstanceOf(TokenEndpointError);
      expect(after).not.toBe(first);
      expect(servers.api.requests).toHaveLength(0);
    });
  });

  it('grows while fetches keep failing (100, 200, 400, 400 … ms with cooldownMs 100, maxCooldownMs 400) and starts over after a success', async () => {
    const script = scriptTokenEndpoint(servers.auth, [], answer(503));
    const { api, handle } = connect({ tokenRetry: { retries: 0, cooldownMs: 100, maxCooldownMs: 400 } });
    const failed = record(handle, 'token:failed');
    const issued = record(handle, 'token:issued');

    const loop = await hammer(
      () => api.get('/r'),
      () => failed.length >= 5,
    );
    expect(failed.map((event) => event.cooldownMs)).toEqual([100, 200, 400, 400, 400]);
    expect(script.arrivals).toHaveLength(5);
    // Each token request came once the cooldown before it had passed, and not long after.
    script.gaps().forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(failed[i].cooldownMs);
      expect(gap).toBeLessThan(failed[i].cooldownMs + 150);
    });
    // The loop made many more calls than token requests: the rest were refused.
    expect(loop.calls).toBeGreaterThan(50);
    expect(median(loop.failureMs)).toBeLessThan(5);

    // The server recovers: the next fetch, 400 ms after the last failure, succeeds.
    servers.auth.override = undefined;
    await hammer(
      () => api.get('/r'),
      () => issued.length > 0,
      2_000,
    );
    expect(issued).toHaveLength(1);
    expect(issued[0].at - failed[4].at).toBeGreaterThanOrEqual(400);
    expect(issued[0].at - failed[4].at).toBeLessThan(600);

    // It fails again: the cooldown starts over from cooldownMs.
    scriptTokenEndpoint(servers.auth, [], answer(503));
    handle.invalidate();
    await expect(api.get('/r')).rejects.toBeInstanceOf(TokenEndpointError);
    expect(failed.map((event) => event.cooldownMs)).toEqual([100, 200, 400, 400, 400, 100]);
  });

  it('a Retry-After longer than the cooldown sets it: 429 Retry-After: 1 with retries: 0 → no token request for 1 s', async () => {
    const script = scriptTokenEndpoint(servers.auth, [answer(429, { error: 'slow_down' }, { 'Retry-After': '1' })]);
    const { api, handle } = connect({ tokenRetry: { retries: 0, cooldownMs: 100 } });
    const failed = record(handle, 'token:failed');
    const rejected = record(handle, 'token:cooldown-rejected');
    const first = await api.get('/r').catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 429, retryAfterMs: 1_000 });
    expect(failed).toEqual([expect.objectContaining({ cooldownMs: 1_000 })]);

    let succeededAt = 0;
    const loop = await hammer(
      () => api.get('/r').then(() => (succeededAt = performance.now())),
      () => succeededAt > 0,
      3_000,
    );
    expect(script.arrivals).toHaveLength(2);
    expect(script.gaps()[0]).toBeGreaterThanOrEqual(1_000);
    expect(script.gaps()[0]).toBeLessThan(1_200);
    expect(succeededAt - failed[0].at).toBeGreaterThanOrEqual(1_000);
    expect(rejected.length).toBe(loop.failures);
    expect(loop.failures).toBeGreaterThan(50);
    expect(median(loop.failureMs)).toBeLessThan(5);
  });

  it('each refused request gets an error of its own: what one caller adds to it never reaches another, and its stack does not grow', async () => {
    const { api } = connect({ tokenRetry: { retries: 0 } });
    scriptTokenEndpoint(servers.auth, [], answer(503));
    const first = (await api.get('/r').catch((e: unknown) => e)) as Error & { tenant?: string };
    first.tenant = 'a';
    const stackLengths: number[] = [];
    // Two call sites, alternating: axios appends the caller's stack to the error it rejects with.
    type Tagged = Error & { tenant?: string };
    const fromHere = () =>
      api.get('/here').then(
        () => new Error('expected a failure') as Tagged,
        (e: unknown) => e as Tagged,
      );
    const fromThere = () =>
      api.get('/there').then(
        () => new Error('expected a failure') as Tagged,
        (e: unknown) => e as Tagged,
      );
    for (let i = 0; i < 100; i++) {
      const error = await (i % 2 === 0 ? fromHere() : fromThere());
      expectSameFailure(error, first);
      expect(error.tenant).toBeUndefined();
      error.tenant = `t${i}`;
      stackLengths.push(error.stack!.length);
    }
    expect(Math.max(...stackLengths)).toBeLessThan(3 * stackLengths[0]);
    expect(servers.auth.requests).toHaveLength(1);
  });

  describe('getToken({ forceRefresh: true })', () => {
    it('with a cached token: a new token (a second token request), which later requests carry', async () => {
      const { api, handle } = connect();
      const invalidated = record(handle, 'token:invalidated');
      const old = await handle.getToken();
      await expect(handle.getToken()).resolves.toBe(old);
      const fresh = await handle.getToken({ forceRefresh: true });
      expect(fresh).not.toBe(old);
      expect(servers.auth.requests).toHaveLength(2);
      expect(servers.auth.everIssued).toEqual([old, fresh]);
      // The old token was not dropped: it served other requests until the new one replaced it.
      expect(invalidated).toEqual([]);
      await api.get('/r');
      await api.get('/r');
      expect(servers.api.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${fresh}`, `Bearer ${fresh}`]);
      await expect(handle.getToken()).resolves.toBe(fresh);
      expect(servers.auth.requests).toHaveLength(2);
    });

    it('concurrent calls share one fetch', async () => {
      const { handle } = connect();
      const old = await handle.getToken();
      servers.auth.delayMs = 100;
      const tokens = await Promise.all(Array.from({ length: 10 }, () => handle.getToken({ forceRefresh: true })));
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(old);
      expect(servers.auth.requests).toHaveLength(2);
    });

    it('without a cached token it starts a fetch like getToken()', async () => {
      const { handle } = connect();
      const token = await handle.getToken({ forceRefresh: true });
      expect(servers.auth.everIssued).toEqual([token]);
    });

    // Fails against lib/token/manager.ts as written: getToken() drops the cached token before
    // it checks the cooldown, so a refused refresh leaves every request refused until the
    // cooldown ends, though a valid token was cached. Fix: drop it only once a fetch is joined or started.
    it('refused by a cooldown while a still-valid token is cached, it leaves that token to the requests', async () => {
      // A 4 s token whose fetch took 500 ms: renewed from about 2.9 s, expiring at 3.9 s.
      servers.auth.expiresIn = 4;
      servers.auth.delayMs = 500;
      const { api, handle } = connect({ tokenRetry: { retries: 0 } });
      const failed = record(handle, 'token:failed');
      const requestedAt = performance.now();
      const token = await handle.getToken();
      servers.auth.delayMs = 0;
      scriptTokenEndpoint(servers.auth, [], answer(503));
      // Requests go on with the cached token until the background renewal has failed.
      await hammer(
        () => api.get('/r').then(() => sleep(10)),
        () => failed.length > 0,
        3_500,
      );
      expect(failed).toEqual([expect.objectContaining({ renewal: true, tokenStillValid: true, cooldownMs: 1_000 })]);
      expect(performance.now() - requestedAt).toBeLessThan(3_700);
      const tokenRequests = servers.auth.requests.length;

      const refused = await handle.getToken({ forceRefresh: true }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TokenEndpointError);
      expect(servers.auth.requests).toHaveLength(tokenRequests);
      // The refresh could not happen; the token that could still serve requests must not be lost with it.
      await expect(api.get('/after-refused-refresh')).resolves.toMatchObject({ status: 200 });
      expect(servers.api.requests[servers.api.requests.length - 1].headers.authorization).toBe(`Bearer ${token}`);
    });

    it('during a cooldown it rejects at once with the cooldown’s error, sending nothing', async () => {
      const { handle } = connect({ tokenRetry: { retries: 0 } });
      const old = await handle.getToken();
      scriptTokenEndpoint(servers.auth, [], answer(503));
      const error = await handle.getToken({ forceRefresh: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(servers.auth.requests).toHaveLength(2);
      const again = await timed(() => handle.getToken({ forceRefresh: true }));
      expect(again.ok).toBe(false);
      expectSameFailure((again as { error: unknown }).error, error);
      expect(again.ms).toBeLessThan(LOADED_MACHINE_MS);
      // The failed forced refresh left the still-valid cached token to everything else.
      await expect(handle.getToken()).resolves.toBe(old);
      expect(servers.auth.requests).toHaveLength(2);
      expect(servers.auth.everIssued).toEqual([old]);
    });
  });

  describe.each([
    ['retries: 0', { retries: 0 }],
    ['the default retries', {}],
  ] as const)('a failing background renewal (%s), while a still-valid token is cached', (_case, tokenRetry) => {
    it('affects no request: none waits, all carry the cached token until it expires', async () => {
      // A 4 s token whose fetch took 500 ms: it expires 3.9 s after it was requested (a
      // 2.5 % margin) and is renewed from about 1 s before that (twice the fetch's time).
      servers.auth.expiresIn = 4;
      servers.auth.delayMs = 500;
      const { api, handle } = connect({ tokenRetry });
      const attempts = record(handle, 'token:attempt');
      const failed = record(handle, 'token:failed');
      const requestedAt = performance.now();
      const token = await handle.getToken();
      // From now on every token request takes 600 ms and fails: a request waiting for one would take that long.
      servers.auth.delayMs = 600;
      scriptTokenEndpoint(servers.auth, [], answer(503));

      const durations: number[] = [];
      while (performance.now() < requestedAt + 3_750) {
        const started = performance.now();
        const response = await api.get('/r');
        durations.push(performance.now() - started);
        expect(response.status).toBe(200);
        await sleep(20);
      }
      expect(durations.length).toBeGreaterThan(50);
      expect(median(durations)).toBeLessThan(AT_ONCE_MS);
      expect(Math.max(...durations)).toBeLessThan(400);
      expect(new Set(servers.api.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${token}`]));
      // The renewal did start, in the last part of the token's life, and failed.
      const renewals = attempts.filter((event) => event.renewal);
      expect(renewals.length).toBeGreaterThanOrEqual(1);
      expect(renewals[0].at - requestedAt).toBeGreaterThan(2_000);
      expect(servers.auth.requests.length).toBeGreaterThanOrEqual(2);
      if ('retries' in tokenRetry) {
        expect(failed).toEqual([expect.objectContaining({ renewal: true, tokenStillValid: true, status: 503 })]);
      }

      // Once it has expired, requests need a new token, and fail with the endpoint's error.
      await sleep(requestedAt + 3_950 - performance.now());
      const error = await api.get('/expired').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 503 });
    });
  });

  describe('no cooldown after a failure that never reached the server', () => {
    it('a clientAssertion function that throws (ClientAssertionError): the next request calls it again at once', async () => {
      let calls = 0;
      scriptTokenEndpoint(servers.auth, [], (res) => answer(200, { access_token: 'tok-1', token_type: 'Bearer' })(res));
      const instance = axios.create({ baseURL: servers.api.url });
      const handle = oauth2(instance, {
        tokenEndpoint: servers.auth.tokenEndpoint,
        clientId: CLIENT_ID,
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientAssertion: () => {
          calls++;
          if (calls <= 2) throw new Error('identity agent unreachable');
          return 'eyJ.assertion.sig';
        },
      });
      const failed = record(handle, 'token:failed');
      const rejected = record(handle, 'token:cooldown-rejected');
      const first = await instance.get('/r').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(ClientAssertionError);
      expect(calls).toBe(1);
      const second = await timed(() => instance.get('/r'));
      expect(second.ok).toBe(false);
      expect((second as { error: unknown }).error).toBeInstanceOf(ClientAssertionError);
      expect((second as { error: unknown }).error).not.toBe(first);
      expect(calls).toBe(2);
      expect(second.ms).toBeLessThan(LOADED_MACHINE_MS);
      expect(failed.map((event) => event.cooldownMs)).toEqual([0, 0]);
      expect(rejected).toHaveLength(0);
      expect(servers.auth.requests).toHaveLength(0);
      await expect(handle.getToken()).resolves.toBe('tok-1');
      expect(calls).toBe(3);
      expect(servers.auth.requests).toHaveLength(1);
    });

    it('a jwt-bearer assertion function that throws (GrantAssertionError): the next request calls it again at once', async () => {
      let calls = 0;
      const instance = axios.create({ baseURL: servers.api.url });
      const handle = oauth2(instance, {
        tokenEndpoint: servers.auth.tokenEndpoint,
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: () => {
          calls++;
          return Promise.reject(new Error('identity provider unreachable'));
        },
      });
      const rejected = record(handle, 'token:cooldown-rejected');
      const first = await instance.get('/r').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(GrantAssertionError);
      const second = await timed(() => instance.get('/r'));
      expect((second as { error: unknown }).error).toBeInstanceOf(GrantAssertionError);
      expect((second as { error: unknown }).error).not.toBe(first);
      expect(second.ms).toBeLessThan(LOADED_MACHINE_MS);
      expect(calls).toBe(2);
      expect(rejected).toHaveLength(0);
      expect(servers.auth.requests).toHaveLength(0);
    });
  });

  it('tokenRetry.cooldownMs: 0 turns the cooldown off: the next request sends a token request at once', async () => {
    const script = scriptTokenEndpoint(servers.auth, [], answer(503));
    const { api, handle } = connect({ tokenRetry: { retries: 0, cooldownMs: 0 } });
    const failed = record(handle, 'token:failed');
    const rejected = record(handle, 'token:cooldown-rejected');
    const first = await api.get('/r').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TokenEndpointError);
    const second = await api.get('/r').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TokenEndpointError);
    expect(second).not.toBe(first);
    expect(script.arrivals).toHaveLength(2);
    expect(failed.map((event) => event.cooldownMs)).toEqual([0, 0]);
    expect(rejected).toHaveLength(0);
  });

  describe('option validation', () => {
    const base = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'id', clientSecret: 'secret' };

    it.each([
      ['a string', 'x', 'tokenRetry'],
      ['null', null, 'tokenRetry'],
      ['an array', [], 'tokenRetry'],
      ['a number', 3, 'tokenRetry'],
      ['retries: -1', { retries: -1 }, 'tokenRetry.retries'],
      ['retries: 1.5', { retries: 1.5 }, 'tokenRetry.retries'],
      ['retries: "2"', { retries: '2' }, 'tokenRetry.retries'],
      ['budgetMs: NaN', { budgetMs: NaN }, 'tokenRetry.budgetMs'],
      ['maxRetryAfterMs: Infinity', { maxRetryAfterMs: Infinity }, 'tokenRetry.maxRetryAfterMs'],
      ['an unknown setting', { foo: 1 }, 'tokenRetry.foo'],
      ['maxDelayMs below baseDelayMs', { baseDelayMs: 500, maxDelayMs: 100 }, 'tokenRetry.maxDelayMs'],
      ['maxCooldownMs below cooldownMs', { cooldownMs: 5_000, maxCooldownMs: 1_000 }, 'tokenRetry.maxCooldownMs'],
    ])('%s: InvalidOptionsError naming %p', (_case, tokenRetry, option) => {
      const error = rejectionOf({ ...base, tokenRetry });
      expect(error.option).toBe(option);
      expect(error.message).toContain(`"${option}"`);
    });

    it.each([
      ['true', true],
      ['false', false],
      ['an empty object', {}],
      ['zeros', { retries: 0, baseDelayMs: 0, maxDelayMs: 0, budgetMs: 0, maxRetryAfterMs: 0, cooldownMs: 0, maxCooldownMs: 0 }],
      [
        'every setting',
        {
          retries: 4,
          baseDelayMs: 100,
          maxDelayMs: 1_000,
          budgetMs: 5_000,
          maxRetryAfterMs: 10_000,
          cooldownMs: 500,
          maxCooldownMs: 60_000,
        },
      ],
    ])('%s is accepted', (_case, tokenRetry) => {
      expect(() => oauth2(axios.create(), { ...base, tokenRetry: tokenRetry as OAuth2Options['tokenRetry'] })).not.toThrow();
    });
  });
});

/** The same failure as `original` (class, code, status, message), in an error object of its own. */
function expectSameFailure(error: unknown, original: unknown): void {
  expect(error).not.toBe(original);
  const { name, message } = original as Error;
  const { code, status } = original as { code?: unknown; status?: unknown };
  expect(error).toBeInstanceOf((Object.getPrototypeOf(original) as { constructor: new () => unknown }).constructor);
  expect(error).toMatchObject({ name, message, code, ...(status === undefined ? {} : { status }) });
}
