import { randomBytes } from 'node:crypto';
import { InvalidOptionsError, oauth2, type OAuth2Event, type OAuth2Options } from '../lib';
import { memoryStore, type MemoryStore } from './support/memory-store';
import { CLIENT_SECRET, clientOptions, useServers } from './support/servers';

/**
 * Option `store`, in one process with a store in memory: several handles on one store
 * behave as the processes of a fleet do (the Redis store's own tests run them as real
 * processes against a real redis-server).
 */
describe('sharing tokens through a store', () => {
  const servers = useServers({ expiresIn: 3600 });

  function fleet(store: MemoryStore, size: number, options: Partial<OAuth2Options> = {}) {
    return Array.from({ length: size }, () => {
      const api = servers.newApi();
      const handle = oauth2(api, { ...clientOptions(servers), store, ...options });
      const events: OAuth2Event[] = [];
      handle.on('token:issued', (event) => events.push(event));
      handle.on('store:unavailable', (event) => events.push(event));
      handle.on('store:available', (event) => events.push(event));
      return { api, handle, events };
    });
  }

  it('8 cold members × 50 concurrent requests: one token request, every member uses that token', async () => {
    const store = memoryStore({ pollIntervalMs: 10 });
    const members = fleet(store, 8);
    const responses = await Promise.all(members.flatMap(({ api }) => Array.from({ length: 50 }, (_, i) => api.get(`/r/${i}`))));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(servers.auth.requests).toHaveLength(1);
    expect(new Set(servers.api.requests.map((request) => request.headers.authorization)).size).toBe(1);
    const sources = members.flatMap(({ events }) => events.map((event) => (event as OAuth2Event<'token:issued'>).source));
    expect(sources.filter((source) => source === 'endpoint')).toHaveLength(1);
    expect(sources.filter((source) => source === 'store')).toHaveLength(7);
  });

  it('a 401 burst across the fleet: one token request, and every member replays with its result', async () => {
    const store = memoryStore({ pollIntervalMs: 10 });
    const members = fleet(store, 8);
    await Promise.all(members.map(({ api }) => api.get('/warm')));
    expect(servers.auth.requests).toHaveLength(1);
    servers.auth.revokeAll();
    const responses = await Promise.all(members.flatMap(({ api }) => Array.from({ length: 20 }, (_, i) => api.get(`/after-revoke/${i}`))));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(servers.auth.requests).toHaveLength(2);
  });

  it('the stored value is sealed: neither the token nor any part of it is readable, and it opens under its own key only', async () => {
    const store = memoryStore();
    const [member] = fleet(store, 1);
    const token = await member.handle.getToken();
    const stored = [...store.values.values()].map((entry) => entry.value);
    expect(stored).toHaveLength(1);
    for (const value of stored) {
      expect(value).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(value).not.toContain(token);
      expect(Buffer.from(value.split('.')[2], 'base64url').toString('latin1')).not.toContain(token.slice(0, 8));
    }
    expect(JSON.stringify([...store.values.keys()])).not.toContain(CLIENT_SECRET);
    // The same value put under another client's key does not open there: that client fetches its own.
    const [keyA] = [...store.values.keys()];
    const other = fleet(store, 1, { scope: 'other' })[0];
    const otherToken = await other.handle.getToken();
    const keyB = [...store.values.keys()].find((key) => key !== keyA && key.includes(':token:'))!;
    store.values.set(keyB, { ...store.values.get(keyA)! });
    other.handle.invalidate();
    const again = await other.handle.getToken();
    expect(again).not.toBe(token);
    expect(again).not.toBe(otherToken);
    expect(servers.auth.requests).toHaveLength(3);
  });

  it('a store that fails never fails a request: the member fetches on its own, reports it once, and shares again when the store is back', async () => {
    const store = memoryStore({ operationTimeoutMs: 100 });
    const [member] = fleet(store, 1, { tokenRetry: { retries: 0 } });
    store.failing = true;
    await expect(member.api.get('/a')).resolves.toMatchObject({ status: 200 });
    member.handle.invalidate();
    await expect(member.api.get('/b')).resolves.toMatchObject({ status: 200 });
    expect(member.events.filter((event) => event.event === 'store:unavailable')).toHaveLength(1);
    store.failing = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    member.handle.invalidate();
    await member.api.get('/c');
    expect(member.events.filter((event) => event.event === 'store:available')).toHaveLength(1);
    expect(store.values.size).toBeGreaterThan(0);
  });

  it('a store that hangs is waited for at most operationTimeoutMs', async () => {
    const store = memoryStore({ operationTimeoutMs: 100 });
    store.get = () => new Promise(() => {});
    const [member] = fleet(store, 1);
    const started = performance.now();
    await expect(member.api.get('/a')).resolves.toMatchObject({ status: 200 });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('a lease holder that never stores (it died): another member fetches once the lease expires', async () => {
    const store = memoryStore({ leaseTtlMs: 300, pollIntervalMs: 20 });
    // A lease taken by a process that is gone.
    const [member] = fleet(store, 1);
    await member.handle.getToken();
    const leaseKey = [...store.values.keys()].find((key) => key.includes(':token:'))!.replace(':token:', ':lease:');
    store.values.clear();
    store.values.set(leaseKey, { value: 'dead-process', expiresAt: Date.now() + 300 });
    const [late] = fleet(store, 1);
    const started = performance.now();
    await late.handle.getToken();
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(servers.auth.requests).toHaveLength(2);
  });

  it.each([
    ['the token request timeout (10 s by default) plus 5 s', {}, undefined, 15_000],
    ["the backend's own timeout plus 5 s", { backend: { timeout: 2_000 } }, undefined, 7_000],
    ['the store setting when it has one', { backend: { timeout: 2_000 } }, 9_000, 9_000],
  ])('the fetch lease lasts %s', async (_case, options: Partial<OAuth2Options>, leaseTtlMs: number | undefined, expected) => {
    const store = memoryStore(leaseTtlMs === undefined ? {} : { leaseTtlMs });
    const leases: number[] = [];
    const setIfAbsent = store.setIfAbsent.bind(store);
    store.setIfAbsent = async (key, value, ttlMs) => {
      leases.push(ttlMs);
      return setIfAbsent(key, value, ttlMs);
    };
    const handle = oauth2(servers.newApi(), { ...clientOptions(servers), store, ...options });
    await handle.getToken();
    expect(leases).toEqual([expected]);
  });

  it('without a client secret, the store needs an encryptionKey; a wrong key is refused', () => {
    const jwtOptions = {
      tokenEndpoint: servers.auth.tokenEndpoint,
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer' as const,
      assertion: 'a.b.c',
    };
    expect(() => oauth2(servers.newApi(), { ...jwtOptions, store: memoryStore() })).toThrow(/needs settings.encryptionKey/);
    expect(() => oauth2(servers.newApi(), { ...jwtOptions, store: memoryStore({ encryptionKey: randomBytes(16) }) })).toThrow(
      InvalidOptionsError,
    );
    expect(() => oauth2(servers.newApi(), { ...jwtOptions, store: memoryStore({ encryptionKey: randomBytes(32) }) })).not.toThrow();
    expect(() =>
      oauth2(servers.newApi(), { ...jwtOptions, store: memoryStore({ encryptionKey: randomBytes(32).toString('base64') }) }),
    ).not.toThrow();
    expect(() => oauth2(servers.newApi(), { ...clientOptions(servers), store: {} as never })).toThrow(
      /missing get, set, setIfAbsent, deleteIfEquals/,
    );
  });
});
