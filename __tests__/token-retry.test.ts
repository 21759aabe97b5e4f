import axios from 'axios';
import { decodeJwt } from 'jose';
import { InvalidTokenResponseError, oauth2, TokenEndpointError, TokenRequestError, type OAuth2Event, type OAuth2Options } from '../lib';
import { CLIENT_ID, clientOptions, useServers } from './support/servers';
import { answer, resetConnection, scriptTokenEndpoint, sleep, timed } from './support/token-endpoint-script';

/**
 * Option `tokenRetry`: a transient failure of the token endpoint (a reset connection, a
 * 5xx, a 429) is retried within the one fetch all waiting requests share, after a
 * full-jitter backoff or the server's Retry-After, within the fetch's budget and the
 * deadlines of the requests waiting; a permanent one (an RFC 6749 §5.2 error, any other
 * 4xx, a 200 that is no token) is sent once. Against the real loopback servers; arrival
 * times are taken on the server side.
 */
describe('token endpoint retries (tokenRetry)', () => {
  const servers = useServers();

  function connect(options: Partial<OAuth2Options> = {}) {
    const api = servers.newApi();
    const handle = oauth2(api, { ...clientOptions(servers), ...options });
    return { api, handle };
  }

  /** Every event of `name` the handle reports, in order. */
  function record<Name extends 'token:attempt' | 'token:attempt-failed' | 'token:issued' | 'token:failed'>(
    handle: ReturnType<typeof connect>['handle'],
    name: Name,
  ) {
    const seen: OAuth2Event<Name>[] = [];
    handle.on(name, (event) => seen.push(event));
    return seen;
  }

  describe('transient failures are retried within the fetch', () => {
    it('a connection reset on the first token request: the first API call succeeds, after 2 token requests', async () => {
      const script = scriptTokenEndpoint(servers.auth, [resetConnection]);
      const { api, handle } = connect();
      const failed = record(handle, 'token:attempt-failed');
      await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
      expect(servers.auth.requests).toHaveLength(2);
      expect(script.arrivals).toHaveLength(2);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        attempt: 1,
        errorCode: 'ERR_OAUTH2_TOKEN_REQUEST_FAILED',
        retryInMs: expect.any(Number) as unknown,
      });
      // The token of the second attempt is the one the API saw.
      expect(servers.api.requests[0].headers.authorization).toBe(`Bearer ${servers.auth.everIssued[0]}`);
    });

    it.each([502, 503, 500, 504])(
      'a %i without Retry-After once: the first call succeeds; the retry follows a backoff of at most maxDelayMs',
      async (status) => {
        const script = scriptTokenEndpoint(servers.auth, [answer(status, { error: 'temporarily_unavailable' })]);
        const { api, handle } = connect();
        const failed = record(handle, 'token:attempt-failed');
        const issued = record(handle, 'token:issued');
        await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
        expect(script.arrivals).toHaveLength(2);
        expect(failed).toHaveLength(1);
        const { retryInMs } = failed[0];
        // First retry: full jitter under min(maxDelayMs 2000, baseDelayMs 200 × 2^0).
        expect(retryInMs).toBeGreaterThanOrEqual(0);
        expect(retryInMs).toBeLessThan(200);
        const [gap] = script.gaps();
        expect(gap).toBeGreaterThanOrEqual(retryInMs!);
        expect(gap).toBeLessThanOrEqual(2_000);
        expect(issued).toEqual([expect.objectContaining({ attempts: 2 })]);
      },
    );

    it('a 429 with Retry-After: 2 (seconds): the second token request comes at least 2000 ms after the first', async () => {
      const script = scriptTokenEndpoint(servers.auth, [answer(429, { error: 'slow_down' }, { 'Retry-After': '2' })]);
      const { api, handle } = connect();
      const failed = record(handle, 'token:attempt-failed');
      await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
      expect(script.arrivals).toHaveLength(2);
      expect(failed[0]).toMatchObject({ status: 429, retryInMs: 2_000 });
      const [gap] = script.gaps();
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThan(3_000);
    });

    it('a 503 with Retry-After as an HTTP-date about 2 s ahead: the retry waits until then', async () => {
      let retryAt = 0;
      const script = scriptTokenEndpoint(servers.auth, [
        (res) => {
          // An HTTP-date has whole seconds: round up, so the date is 2 to 3 s ahead of now.
          retryAt = Math.ceil((Date.now() + 2_000) / 1_000) * 1_000;
          answer(503, undefined, { 'Retry-After': new Date(retryAt).toUTCString() })(res);
        },
      ]);
      const { api, handle } = connect();
      const failed = record(handle, 'token:attempt-failed');
      await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
      expect(script.arrivals).toHaveLength(2);
      // The client reads the date a few ms after the server wrote it.
      expect(failed[0].retryInMs).toBeGreaterThan(1_900);
      expect(failed[0].retryInMs).toBeLessThanOrEqual(3_000);
      // The second request came no earlier than the date (both clocks are this machine's; 50 ms of slack between them).
      expect(Date.now()).toBeGreaterThanOrEqual(retryAt - 50);
      const [gap] = script.gaps();
      expect(gap).toBeGreaterThanOrEqual(failed[0].retryInMs!);
      expect(gap).toBeGreaterThanOrEqual(1_900);
      expect(gap).toBeLessThan(4_000);
    });
  });

  describe('permanent failures are sent once', () => {
    it('invalid_client (401 from the real server, a wrong secret): one token request', async () => {
      const { api, handle } = connect({ clientSecret: 'wrong' });
      const failed = record(handle, 'token:failed');
      const error = await api.get('/r').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
      await sleep(300); // longer than the first backoff could be
      expect(servers.auth.requests).toHaveLength(1);
      expect(failed).toEqual([expect.objectContaining({ attempts: 1, status: 401, error: 'invalid_client' })]);
    });

    it.each([
      ['invalid_grant', answer(400, { error: 'invalid_grant' }), TokenEndpointError, 400],
      ['unauthorized_client', answer(400, { error: 'unauthorized_client' }), TokenEndpointError, 400],
      ['invalid_scope', answer(400, { error: 'invalid_scope' }), TokenEndpointError, 400],
      ['unsupported_grant_type', answer(400, { error: 'unsupported_grant_type' }), TokenEndpointError, 400],
      ['invalid_request', answer(400, { error: 'invalid_request' }), TokenEndpointError, 400],
      ['invalid_client with a 5xx status', answer(500, { error: 'invalid_client' }), TokenEndpointError, 500],
      ['a 400 without a body', answer(400), TokenEndpointError, 400],
      ['a 403', answer(403, { error: 'access_denied' }), TokenEndpointError, 403],
      ['a 404', answer(404), TokenEndpointError, 404],
      ['a 200 whose body is not JSON', answer(200, 'certainly not a token'), InvalidTokenResponseError, 200],
      ['a 200 without access_token', answer(200, { token_type: 'Bearer' }), InvalidTokenResponseError, 200],
    ] as const)('%s: one token request, the error as is', async (_case, fault, errorClass, status) => {
      const script = scriptTokenEndpoint(servers.auth, [], fault);
      const { api } = connect();
      const error = await api.get('/r').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toMatchObject({ status });
      await sleep(300);
      expect(script.arrivals).toHaveLength(1);
      expect(servers.api.requests).toHaveLength(0);
    });
  });

  describe('retries are bounded', () => {
    it('retries: 3 against an always-503 endpoint: exactly 4 token requests, each after a backoff of at most maxDelayMs', async () => {
      const script = scriptTokenEndpoint(servers.auth, [], answer(503));
      const { api, handle } = connect({ tokenRetry: { retries: 3, baseDelayMs: 5, maxDelayMs: 10 } });
      const failed = record(handle, 'token:attempt-failed');
      const finalFailure = record(handle, 'token:failed');
      const error = await api.get('/r').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 503 });
      expect(script.arrivals).toHaveLength(4);
      expect(failed.map((event) => event.attempt)).toEqual([1, 2, 3, 4]);
      expect(failed.slice(0, 3).every((event) => typeof event.retryInMs === 'number' && event.retryInMs >= 0 && event.retryInMs < 10)).toBe(
        true,
      );
      expect(failed[3]).not.toHaveProperty('retryInMs');
      expect(finalFailure).toEqual([expect.objectContaining({ attempts: 4, status: 503 })]);
      for (const gap of script.gaps()) expect(gap).toBeLessThan(200);
      await sleep(100);
      expect(script.arrivals).toHaveLength(4);
    });

    it('retries: 0: exactly 1 token request', async () => {
      const script = scriptTokenEndpoint(servers.auth, [], answer(503));
      const { api } = connect({ tokenRetry: { retries: 0 } });
      await expect(api.get('/r')).rejects.toBeInstanceOf(TokenEndpointError);
      await sleep(300);
      expect(script.arrivals).toHaveLength(1);
    });

    it('the default: 2 retries, so 3 token requests against an always-503 endpoint', async () => {
      const script = scriptTokenEndpoint(servers.auth, [], answer(503));
      const { api } = connect();
      await expect(api.get('/r')).rejects.toMatchObject({ status: 503 });
      expect(script.arrivals).toHaveLength(3);
      // Backoffs under 200 ms, then under 400 ms (plus transit).
      const [first, second] = script.gaps();
      expect(first).toBeLessThan(300);
      expect(second).toBeLessThan(500);
    });
  });

  describe('the budget and the deadlines of the waiting requests', () => {
    it('a Retry-After longer than budgetMs: no retry; the call fails at once with the TokenEndpointError and its retryAfterMs', async () => {
      const script = scriptTokenEndpoint(servers.auth, [], answer(429, { error: 'slow_down' }, { 'Retry-After': '5' }));
      const { api, handle } = connect({ tokenRetry: { budgetMs: 1_000 } });
      const failed = record(handle, 'token:attempt-failed');
      const outcome = await timed(() => api.get('/r'));
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 429, retryAfterMs: 5_000 });
      expect(outcome.ms).toBeLessThan(500);
      expect(failed).toHaveLength(1);
      expect(failed[0]).not.toHaveProperty('retryInMs');
      await sleep(300);
      expect(script.arrivals).toHaveLength(1);
    });

    // The decision alone, without waiting out the Retry-After: the event of the failed attempt says whether a retry follows.
    it.each([
      ['timeout: 300, Retry-After: 1 → none, the 503 at once', 300, undefined],
      ['timeout: 5000, Retry-After: 1 → one, in 1 s', 5_000, 1_000],
    ])('a request with %s', async (_case, timeout, retryInMs) => {
      scriptTokenEndpoint(servers.auth, [], answer(503, { error: 'temporarily_unavailable' }, { 'Retry-After': '1' }));
      const { api, handle } = connect();
      const failed = record(handle, 'token:attempt-failed');
      const outcome = api.get('/deadline', { timeout }).catch((error: unknown) => error);
      while (failed.length === 0) await sleep(5);
      expect(failed[0].retryInMs).toBe(retryInMs);
      if (retryInMs === undefined) expect(await outcome).toMatchObject({ status: 503 });
      handle.eject();
    });

    it('a request with timeout: 500 facing a 429 Retry-After: 3: it fails within its timeout, and no token request follows for 3.5 s', async () => {
      const script = scriptTokenEndpoint(servers.auth, [], answer(429, { error: 'slow_down' }, { 'Retry-After': '3' }));
      const { api } = connect();
      const outcome = await timed(() => api.get('/hurried', { timeout: 500 }));
      expect(outcome.ok).toBe(false);
      // The fetch gives up at once, since a retry 3 s later would start past the only
      // waiter's deadline: the request fails with the token endpoint's answer, not later
      // with axios' timeout error.
      expect(outcome.ms).toBeLessThan(600);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ status: 429, retryAfterMs: 3_000 });
      await sleep(3_500);
      expect(script.arrivals).toHaveLength(1);
      expect(servers.api.requests).toHaveLength(0);
    });

    it('a waiter without a timeout keeps the fetch retrying: the hurried one times out with axios’ error, the patient one gets the token of the second request', async () => {
      const script = scriptTokenEndpoint(servers.auth, [answer(429, { error: 'slow_down' }, { 'Retry-After': '3' })]);
      const { api } = connect();
      const [hurried, patient] = await Promise.all([timed(() => api.get('/hurried', { timeout: 500 })), timed(() => api.get('/patient'))]);
      expect(hurried.ok).toBe(false);
      const timedOut = (hurried as { error: unknown }).error;
      expect(axios.isAxiosError(timedOut)).toBe(true);
      expect(timedOut).toMatchObject({ code: expect.stringMatching(/^(ECONNABORTED|ETIMEDOUT)$/) as unknown, config: { url: '/hurried' } });
      expect(hurried.ms).toBeGreaterThanOrEqual(450);
      expect(hurried.ms).toBeLessThan(1_500);
      expect(patient.ok).toBe(true);
      expect(patient.ms).toBeGreaterThanOrEqual(3_000);
      expect(script.arrivals).toHaveLength(2);
      expect(script.gaps()[0]).toBeGreaterThanOrEqual(3_000);
      expect(servers.api.requests.map((request) => request.url)).toEqual(['/patient']);
    });
  });

  describe('one fetch, many callers, fresh attempts', () => {
    it('50 concurrent requests against 503, 503, then a token: exactly 3 token requests, all 50 succeed with the one token', async () => {
      const script = scriptTokenEndpoint(servers.auth, [answer(503), answer(503)]);
      const { api } = connect();
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => api.get(`/r/${i}`)));
      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect(script.arrivals).toHaveLength(3);
      expect(servers.auth.everIssued).toHaveLength(1);
      const tokens = new Set(servers.api.requests.map((request) => request.headers.authorization));
      expect([...tokens]).toEqual([`Bearer ${servers.auth.everIssued[0]}`]);
    });

    it('every attempt is a new token request: client_secret_jwt signs a fresh assertion (new jti) each time, and the server accepts the last', async () => {
      const script = scriptTokenEndpoint(servers.auth, [answer(503), resetConnection]);
      const instance = axios.create({ baseURL: servers.api.url });
      oauth2(instance, {
        tokenEndpoint: servers.auth.tokenEndpoint,
        clientId: CLIENT_ID,
        clientSecret: clientOptions(servers).clientSecret,
        tokenEndpointAuthMethod: 'client_secret_jwt',
      });
      await expect(instance.get('/r')).resolves.toMatchObject({ status: 200 });
      expect(script.arrivals).toHaveLength(3);
      const jtis = servers.auth.requests.map((request) => decodeJwt(request.params.get('client_assertion') ?? '').jti);
      expect(new Set(jtis).size).toBe(3);
      expect(servers.auth.requests[2].assertion).toMatchObject({ method: 'client_secret_jwt' });
    });
  });

  it('tokenRetry: false: a 503 is final, and the next request sends a new token request at once', async () => {
    const script = scriptTokenEndpoint(servers.auth, [], answer(503, { error: 'temporarily_unavailable' }));
    const { api } = connect({ tokenRetry: false });
    const first = await api.get('/r').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TokenEndpointError);
    expect(script.arrivals).toHaveLength(1);
    const second = await timed(() => api.get('/r'));
    expect(second.ok).toBe(false);
    expect((second as { error: unknown }).error).not.toBe(first);
    expect(script.arrivals).toHaveLength(2);
    servers.auth.override = undefined;
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(3);
  });

  it('events: token:attempt and token:attempt-failed number the attempts and say when the next starts; token:issued counts them', async () => {
    scriptTokenEndpoint(servers.auth, [answer(503), answer(502)]);
    const { api, handle } = connect({ tokenRetry: { baseDelayMs: 20, maxDelayMs: 40 } });
    const attempts = record(handle, 'token:attempt');
    const failed = record(handle, 'token:attempt-failed');
    const issued = record(handle, 'token:issued');
    await api.get('/r');
    const fetchId = attempts[0].fetchId;
    expect(attempts.map((event) => [event.fetchId, event.attempt, event.renewal])).toEqual([
      [fetchId, 1, false],
      [fetchId, 2, false],
      [fetchId, 3, false],
    ]);
    expect(failed).toEqual([
      expect.objectContaining({
        fetchId,
        attempt: 1,
        status: 503,
        errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
        retryInMs: expect.any(Number) as unknown,
        renewal: false,
        tokenEndpoint: servers.auth.tokenEndpoint,
        clientId: CLIENT_ID,
      }),
      expect.objectContaining({ fetchId, attempt: 2, status: 502, retryInMs: expect.any(Number) as unknown }),
    ]);
    expect(failed[0].retryInMs).toBeLessThan(20);
    expect(failed[1].retryInMs).toBeLessThan(40);
    expect(issued).toEqual([expect.objectContaining({ fetchId, attempts: 3, renewal: false, expiresInMs: 3_600_000 })]);
  });

  it('events: one failure, then token:issued says attempts: 2', async () => {
    scriptTokenEndpoint(servers.auth, [resetConnection]);
    const { handle } = connect();
    const failed = record(handle, 'token:attempt-failed');
    const issued = record(handle, 'token:issued');
    const token = await handle.getToken();
    expect(servers.auth.everIssued).toEqual([token]);
    expect(failed).toEqual([
      expect.objectContaining({ attempt: 1, retryInMs: expect.any(Number) as unknown, errorCode: 'ERR_OAUTH2_TOKEN_REQUEST_FAILED' }),
    ]);
    expect(issued).toEqual([expect.objectContaining({ attempts: 2 })]);
  });

  it('a network failure is TokenRequestError, and retried', async () => {
    await servers.auth.goDown();
    const { api, handle } = connect({ tokenRetry: { retries: 1, baseDelayMs: 5, maxDelayMs: 5 } });
    const attempts = record(handle, 'token:attempt');
    const error = await api.get('/r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    expect(attempts.map((event) => event.attempt)).toEqual([1, 2]);
  });
});
