import { TokenManager } from '../lib/token-manager';
import type { IssuedToken } from '../lib/token-response';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

/** A token source whose answers the test controls, and a clock it moves by hand. */
function controlledSource(lifetimeSeconds: number | undefined) {
  let clock = 0;
  let issued = 0;
  const fetchToken = jest.fn(
    async (): Promise<IssuedToken> => ({
      accessToken: `tok-${++issued}`,
      lifetimeMs: lifetimeSeconds === undefined ? undefined : lifetimeSeconds * 1000,
    }),
  );
  return {
    fetchToken,
    now: () => clock,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('TokenManager: caching and renewal', () => {
  it.each([
    // lifetime, last second served from cache without renewal, renewal window, expiry (s)
    [3600, 3539, 3540, 3570],
    [60, 56.9, 57, 58.5],
  ])('a %d s token is reused, renewed ahead, and expires with margin', async (lifetime, quiet, renewAt, expiresAt) => {
    const source = controlledSource(lifetime);
    const manager = new TokenManager(source.fetchToken, { now: source.now });
    expect(await manager.getToken()).toBe('tok-1');

    source.advance(quiet * 1000);
    expect(await manager.getToken()).toBe('tok-1');
    expect(source.fetchToken).toHaveBeenCalledTimes(1);

    // In the renewal window the current token is still served while a new one is fetched.
    source.advance((renewAt - quiet) * 1000);
    expect(manager.peek()).toBe('tok-1');
    expect(source.fetchToken).toHaveBeenCalledTimes(2);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(manager.peek()).toBe('tok-2');

    // A token that reaches its expiry margin is not handed out any more.
    const fresh = new TokenManager(controlledSource(lifetime).fetchToken, { now: source.now });
    await fresh.getToken();
    source.advance(expiresAt * 1000);
    expect(fresh.peek()).toBeUndefined();
  });

  it('starts renewing earlier when fetches are slow: twice the last fetch time ahead', async () => {
    const source = controlledSource(60);
    // Each fetch takes 2 s on the manager's clock.
    const slowFetch = jest.fn(async () => {
      source.advance(2_000);
      return source.fetchToken();
    });
    const manager = new TokenManager(slowFetch, { now: source.now });
    await manager.getToken(); // requested at 0 s; expires (minus 1.5 s margin) at 58.5 s
    source.advance(52_400); // now 54.4 s
    manager.peek();
    expect(slowFetch).toHaveBeenCalledTimes(1);
    source.advance(100); // 54.5 s = 58.5 s − 2 × 2 s
    expect(manager.peek()).toBe('tok-1');
    expect(slowFetch).toHaveBeenCalledTimes(2);
  });

  it('never starts renewing in the first half of a token\'s life, however slow the last fetch', async () => {
    const source = controlledSource(10);
    const verySlowFetch = jest.fn(async () => {
      source.advance(8_000);
      return source.fetchToken();
    });
    const manager = new TokenManager(verySlowFetch, { now: source.now });
    await manager.getToken(); // requested at 0 s: expires at 9.75 s; renewal capped to start at 4.875 s
    source.advance(4_800 - 8_000); // back to 4.8 s on the token's clock
    manager.peek();
    expect(verySlowFetch).toHaveBeenCalledTimes(1);
    source.advance(100); // 4.9 s
    manager.peek();
    expect(verySlowFetch).toHaveBeenCalledTimes(2);
  });

  it('keeps a token without expires_in until it is invalidated', async () => {
    const source = controlledSource(undefined);
    const manager = new TokenManager(source.fetchToken, { now: source.now });
    await manager.getToken();
    source.advance(365 * 86_400_000);
    expect(await manager.getToken()).toBe('tok-1');
    manager.invalidate('tok-1');
    expect(await manager.getToken()).toBe('tok-2');
    expect(source.fetchToken).toHaveBeenCalledTimes(2);
  });

  it('applies defaultLifetime to a token without expires_in', async () => {
    const source = controlledSource(undefined);
    const manager = new TokenManager(source.fetchToken, { now: source.now, defaultLifetimeMs: 60_000 });
    await manager.getToken();
    source.advance(58_500);
    expect(manager.peek()).toBeUndefined();
    expect(await manager.getToken()).toBe('tok-2');
  });

  it('invalidates only the token that failed, not its successor', async () => {
    const source = controlledSource(3600);
    const manager = new TokenManager(source.fetchToken, { now: source.now });
    await manager.getToken();
    manager.invalidate('tok-1');
    expect(await manager.getToken()).toBe('tok-2');
    manager.invalidate('tok-1');
    expect(manager.peek()).toBe('tok-2');
    manager.invalidate();
    expect(manager.peek()).toBeUndefined();
  });

  it('shares a failed fetch among its waiters, caches nothing, and tries again on the next call', async () => {
    let calls = 0;
    const fetchToken = jest.fn(async (): Promise<IssuedToken> => {
      calls += 1;
      if (calls === 1) throw new Error('authorization server down');
      return { accessToken: 'tok-ok', lifetimeMs: 3_600_000 };
    });
    const manager = new TokenManager(fetchToken);
    const waiters = await Promise.allSettled(Array.from({ length: 20 }, () => manager.getToken()));
    expect(waiters.every((w) => w.status === 'rejected' && (w.reason as Error).message === 'authorization server down')).toBe(true);
    expect(fetchToken).toHaveBeenCalledTimes(1);
    expect(manager.peek()).toBeUndefined();
    expect(await manager.getToken()).toBe('tok-ok');
    expect(fetchToken).toHaveBeenCalledTimes(2);
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

  it('a failed fetch rejects all its waiters and the next request tries again', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
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
