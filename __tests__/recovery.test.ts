import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { oauth2, TokenRequestError, TokenTimeoutError, TokenEndpointError } from '../lib';
import { useFakeClock } from './support/fake-clock';
import { clientOptions, useServers } from './support/servers';

describe('recovery from a failing token endpoint', () => {
  const servers = useServers();
  /**
   * Each failure mode, its error, and the first request once the server is back: with
   * retries and the cooldown off, so that the error comes from one attempt and recovery
   * is immediate (token-retry, cooldown and outage tests cover the defaults).
   */
  const once = { tokenRetry: false } as const;

  /** The authorization server cuts the connection of every token request (counted, never answered). */
  const resetConnections = () => {
    servers.auth.override = (_req, res) => {
      res.socket?.destroy();
      return true;
    };
  };

  it('refusing connections: ERR_OAUTH2_TOKEN_REQUEST_FAILED with the network code, then the first request after recovery succeeds', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), ...once });
    await servers.auth.goDown();
    const error = await api.get('/r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_TOKEN_REQUEST_FAILED', cause: { code: 'ECONNREFUSED' } });
    await servers.auth.restart();
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
  });

  it('resetting mid-response: ERR_OAUTH2_TOKEN_REQUEST_FAILED, then recovery', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), ...once });
    servers.auth.override = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
      res.write('{"access_token":"half');
      setTimeout(() => res.socket?.destroy(), 5);
      return true;
    };
    await expect(api.get('/r')).rejects.toBeInstanceOf(TokenRequestError);
    servers.auth.override = undefined;
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
  });

  it('answering 503: ERR_OAUTH2_TOKEN_ENDPOINT with the status, then recovery', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), ...once });
    servers.auth.override = (_req, res) => {
      res.writeHead(503, { 'Retry-After': '1' }).end();
      return true;
    };
    const error = await api.get('/r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ status: 503 });
    servers.auth.override = undefined;
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
  });

  it('hanging: ERR_OAUTH2_TOKEN_TIMEOUT after the backend timeout, then recovery', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), ...once, backend: { timeout: 200 } });
    servers.auth.override = () => true; // never answers
    const started = Date.now();
    const error = await api.get('/r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_TOKEN_TIMEOUT', timeout: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    servers.auth.override = undefined;
    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
  });

  it('trickling a byte at a time: the timeout bounds the whole exchange, not just silence', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend: { timeout: 300 } });
    servers.auth.override = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const drip = setInterval(() => (res.writableEnded ? clearInterval(drip) : res.write(' ')), 50);
      res.on('close', () => clearInterval(drip));
      return true;
    };
    const started = Date.now();
    await expect(api.get('/r')).rejects.toBeInstanceOf(TokenTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('concurrent requests during an outage share one fetch: its three attempts (default retries), not one each', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), tokenRetry: { baseDelayMs: 10, maxDelayMs: 20 } });
    resetConnections();
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => api.get('/r')));
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof TokenRequestError)).toBe(true);
    expect(servers.auth.requests).toHaveLength(3);
    // During the cooldown that follows, requests fail at once and send nothing.
    await expect(api.get('/r')).rejects.toBeInstanceOf(TokenRequestError);
    expect(servers.auth.requests).toHaveLength(3);
  });

  it('a still-valid cached token keeps requests working through an outage', async () => {
    const clock = useFakeClock();
    const api = servers.newApi();
    // 3600 s tokens: renewal from 3540 s, expiry at 3570 s. One attempt per renewal, so the
    // count below is exact; the default 1 s cooldown spaces the renewals.
    oauth2(api, { ...clientOptions(servers), tokenRetry: { retries: 0 } });
    await api.get('/warm');
    resetConnections();
    clock.advanceSeconds(3_550);

    const responses = await Promise.all(Array.from({ length: 20 }, () => api.get('/during-outage')));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One background attempt for the whole burst, and none again right after it failed.
    expect(servers.auth.requests).toHaveLength(2);
    await api.get('/still-during-outage');
    expect(servers.auth.requests).toHaveLength(2);

    servers.auth.override = undefined;
    clock.advanceSeconds(2);
    await api.get('/renews-in-background');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(servers.auth.requests).toHaveLength(3);
    clock.advanceSeconds(30); // past the old token's expiry
    await api.get('/new-token');
    expect(servers.auth.requests).toHaveLength(3);
    const tokens = servers.api.requests.map((r) => r.headers.authorization);
    expect(tokens[tokens.length - 1]).not.toBe(tokens[0]);
  });
});

describe('the token request timeout', () => {
  /** The timeout the token request was sent with, for a given backend option. */
  async function timeoutFor(backendTimeout: number | undefined, asInstance: boolean): Promise<unknown> {
    const backend = axios.create(backendTimeout === undefined ? {} : { timeout: backendTimeout });
    const mock = new MockAdapter(backend);
    mock.onPost().reply(200, { access_token: 'tok', token_type: 'Bearer' });
    const api = axios.create();
    const options = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'id', clientSecret: 'secret' };
    if (asInstance) {
      await oauth2(api, { ...options, backend }).getToken();
      return mock.history.post[0].timeout;
    }
    // A request config as backend: intercept the private instance's adapter.
    let seen: unknown;
    await oauth2(api, {
      ...options,
      backend: {
        ...(backendTimeout === undefined ? {} : { timeout: backendTimeout }),
        adapter: async (config) => {
          seen = config.timeout;
          return { data: '{"access_token":"tok","token_type":"Bearer"}', status: 200, statusText: 'OK', headers: {}, config };
        },
      },
    }).getToken();
    return seen;
  }

  it('defaults to 10 s', async () => {
    expect(await timeoutFor(undefined, false)).toBe(10_000);
    expect(await timeoutFor(undefined, true)).toBe(10_000);
    expect(await timeoutFor(0, true)).toBe(10_000);
  });

  it('follows the backend timeout', async () => {
    expect(await timeoutFor(2_500, false)).toBe(2_500);
    expect(await timeoutFor(30_000, true)).toBe(30_000);
  });
});
