import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { setTimeout as realSetTimeout } from 'node:timers';
import { InvalidOptionsError } from '../lib/errors';
import { resolveOptions } from '../lib/options';
import { digest, keyFromSecret, seal, unseal } from '../lib/stores/sealing';
import { StoreSharing, type StoreEntry } from '../lib/stores/shared-source';
import type { TokenStore } from '../lib/stores/token-store';
import { usableLifetimeMs } from '../lib/token/manager';
import { Liveness } from '../lib/token/liveness';
import type { IssuedToken } from '../lib/token/response';
import { useFakeClock } from './support/fake-clock';
import { freshModule } from './support/fresh-module';
import { memoryStore, type MemoryStore } from './support/memory-store';

/**
 * The token store's pieces on their own (issue #12: survivors of mutation testing): the
 * sharing protocol of StoreSharing against a store in memory, the sealing of stored
 * values, and how option `store` names and keys a client's entry.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SEALING_KEY = randomBytes(32);
const ENTRY: StoreEntry = { tokenKey: 'test:token:abc', leaseKey: 'test:lease:abc', sealingKey: SEALING_KEY };
const TIMING = { leaseTtlMs: 200, pollIntervalMs: 10, operationTimeoutMs: 100 };

interface Emitted {
  name: string;
  fields: Record<string, unknown>;
}

function sharingOn(store: TokenStore, timing: Partial<typeof TIMING> = {}) {
  const events: Emitted[] = [];
  const sharing = new StoreSharing(store, ENTRY, { ...TIMING, ...timing }, (name, fields) => {
    events.push({ name, fields: fields as unknown as Record<string, unknown> });
  });
  return { sharing, events };
}

function request(replacing?: string) {
  return { renewal: false, replacing, liveness: new Liveness(true) };
}

/**
 * What another process of the fleet stores for a token of `lifetimeMs` fetched `agoMs`
 * ago: its own StoreSharing fetches the token and shares it (so the tests do not depend
 * on the stored format).
 */
async function storedBy(token: string, lifetimeMs: number | undefined, agoMs = 0): Promise<string> {
  const scratch = memoryStore();
  const other = new StoreSharing(scratch, ENTRY, TIMING, () => undefined);
  const realNow = Date.now.bind(Date);
  const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - agoMs);
  try {
    await other.obtain(() => Promise.resolve({ accessToken: token, lifetimeMs }), request());
  } finally {
    now.mockRestore();
  }
  const entry = scratch.values.get(ENTRY.tokenKey);
  if (entry === undefined) throw new Error('the other process stored nothing');
  return entry.value;
}

/** Puts what another process stored into `store` (kept there longer than the token lives). */
async function putStored(store: MemoryStore, token: string, lifetimeMs = 60_000, agoMs = 0): Promise<string> {
  const value = await storedBy(token, lifetimeMs, agoMs);
  store.values.set(ENTRY.tokenKey, { value, expiresAt: Date.now() + 3_600_000 });
  return value;
}

/** A stored value that opens, but with `change` made to what is inside. */
async function tampered(change: (stored: Record<string, unknown>) => void): Promise<string> {
  const stored = JSON.parse(unseal(SEALING_KEY, ENTRY.tokenKey, await storedBy('t', 60_000)) ?? '') as Record<string, unknown>;
  change(stored);
  return seal(SEALING_KEY, ENTRY.tokenKey, JSON.stringify(stored));
}

function endpoint(...tokens: IssuedToken[]) {
  const fetch = jest.fn(async (): Promise<IssuedToken> => {
    const next = tokens.shift();
    if (next === undefined) throw new Error('no more tokens');
    return next;
  });
  return fetch;
}

function storedPlaintext(store: MemoryStore): { token: string; usableUntil: number | null } {
  const entry = store.values.get(ENTRY.tokenKey);
  if (entry === undefined) throw new Error('nothing stored');
  const plaintext = unseal(SEALING_KEY, ENTRY.tokenKey, entry.value);
  if (plaintext === undefined) throw new Error('the stored value does not open');
  return JSON.parse(plaintext) as { token: string; usableUntil: number | null };
}

describe('StoreSharing: taking a token another process stored', () => {
  it('a usable stored token is taken as it is, with the lifetime it has left, and no lease is taken', async () => {
    const store = memoryStore();
    await putStored(store, 'stored-token', 60_000);
    const { sharing } = sharingOn(store);
    const fromEndpoint = endpoint();
    const { issued, source } = await sharing.obtain(fromEndpoint, request());
    expect(source).toBe('store');
    expect(issued.accessToken).toBe('stored-token');
    // As the manager counts lifetimes (it takes its margin off again): between the usable and the full lifetime.
    expect(issued.lifetimeMs).toBeGreaterThan(usableLifetimeMs(60_000) - 1_000);
    expect(issued.lifetimeMs).toBeLessThanOrEqual(60_000);
    expect(fromEndpoint).not.toHaveBeenCalled();
    expect(store.calls.setIfAbsent).toBe(0);
  });

  it('a stored token without a known lifetime (until a 401) is taken without one', async () => {
    const store = memoryStore();
    store.values.set(ENTRY.tokenKey, { value: await storedBy('forever-token', undefined), expiresAt: Date.now() + 60_000 });
    const { sharing } = sharingOn(store);
    await expect(sharing.obtain(endpoint(), request())).resolves.toEqual({
      issued: { accessToken: 'forever-token', lifetimeMs: undefined },
      source: 'store',
    });
  });

  it('a stored token past its usable time is not taken: this process fetches under the lease', async () => {
    const store = memoryStore();
    // Fetched 60 s ago with a 60 s lifetime: still in the store, past its usable time.
    await putStored(store, 'stale-token', 60_000, 60_000);
    const { sharing } = sharingOn(store);
    const fromEndpoint = endpoint({ accessToken: 'fresh-token', lifetimeMs: 3_600_000 });
    const { issued, source } = await sharing.obtain(fromEndpoint, request());
    expect(source).toBe('endpoint');
    expect(issued.accessToken).toBe('fresh-token');
    expect(fromEndpoint).toHaveBeenCalledTimes(1);
    expect(storedPlaintext(store).token).toBe('fresh-token');
  });

  it('the token the fetch replaces is not taken again, but stays stored for the others while the new one is fetched', async () => {
    const store = memoryStore();
    const old = await putStored(store, 'old-token');
    const { sharing } = sharingOn(store);
    let storedWhenFetching: string | undefined;
    const fromEndpoint = jest.fn(async (): Promise<IssuedToken> => {
      storedWhenFetching = store.values.get(ENTRY.tokenKey)?.value;
      return { accessToken: 'new-token', lifetimeMs: 3_600_000 };
    });
    await expect(sharing.obtain(fromEndpoint, request('old-token'))).resolves.toMatchObject({
      issued: { accessToken: 'new-token' },
      source: 'endpoint',
    });
    expect(storedWhenFetching).toBe(old);
  });

  it('a stored token is taken until its usable time, and not at it', async () => {
    useFakeClock();
    try {
      const usableUntil = Date.now() + 5_000;
      const withUsableTime = () => tampered((stored) => (stored.usableUntil = usableUntil));
      const store = memoryStore();
      store.values.set(ENTRY.tokenKey, { value: await withUsableTime(), expiresAt: Date.now() + 60_000 });
      jest.setSystemTime(usableUntil - 1);
      await expect(sharingOn(store).sharing.obtain(endpoint(), request())).resolves.toMatchObject({ source: 'store' });
      jest.setSystemTime(usableUntil);
      const fromEndpoint = endpoint({ accessToken: 'fresh-token', lifetimeMs: 60_000 });
      await expect(sharingOn(store).sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({
        issued: { accessToken: 'fresh-token' },
        source: 'endpoint',
      });
    } finally {
      jest.useRealTimers();
    }
  });

  it.each([
    ['garbage', () => 'not-a-sealed-value'],
    ['sealed for another entry', () => seal(SEALING_KEY, 'test:token:other', JSON.stringify({ token: 't', usableUntil: null }))],
    ['sealed with another key', () => seal(randomBytes(32), ENTRY.tokenKey, JSON.stringify({ token: 't', usableUntil: null }))],
    ['not JSON inside', () => seal(SEALING_KEY, ENTRY.tokenKey, 'not json')],
    ['an empty token', () => tampered((stored) => (stored.token = ''))],
    ['a token that is not a string', () => tampered((stored) => (stored.token = 42))],
    ['a usable time that is not a number', () => tampered((stored) => (stored.usableUntil = 'soon'))],
    ['no usable time at all', () => tampered((stored) => delete stored.usableUntil)],
    // JSON.parse reads 1e999 as Infinity: a time no process could have stored.
    ['times that are not finite', () => seal(SEALING_KEY, ENTRY.tokenKey, '{"token":"t","expiresAt":1e999,"usableUntil":1e999}')],
  ])('a stored value that does not open as a token (%s) is deleted before this process fetches', async (_, value) => {
    const store = memoryStore();
    store.values.set(ENTRY.tokenKey, { value: await value(), expiresAt: Date.now() + 60_000 });
    const { sharing } = sharingOn(store);
    let storedWhenFetching: boolean | undefined;
    const fromEndpoint = jest.fn(async (): Promise<IssuedToken> => {
      storedWhenFetching = store.values.has(ENTRY.tokenKey);
      return { accessToken: 'fresh-token', lifetimeMs: 3_600_000 };
    });
    await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({ source: 'endpoint' });
    expect(storedWhenFetching).toBe(false);
    expect(storedPlaintext(store).token).toBe('fresh-token');
  });
});

describe('StoreSharing: fetching under the lease and sharing the result', () => {
  it('stores the token sealed for its usable lifetime, and gives the lease back', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    const before = Date.now();
    await sharing.obtain(endpoint({ accessToken: 'fresh-token', lifetimeMs: 3_600_000 }), request());
    const usable = usableLifetimeMs(3_600_000);
    const stored = storedPlaintext(store);
    expect(stored.token).toBe('fresh-token');
    expect(stored.usableUntil).toBeGreaterThanOrEqual(before + usable);
    expect(stored.usableUntil).toBeLessThanOrEqual(Date.now() + usable);
    const ttl = store.values.get(ENTRY.tokenKey)!.expiresAt - Date.now();
    expect(ttl).toBeGreaterThan(usable - 1_000);
    expect(ttl).toBeLessThanOrEqual(usable);
    await sleep(20);
    expect(store.values.has(ENTRY.leaseKey)).toBe(false);
  });

  it('a token without a lifetime is stored for a day, marked usable until a 401', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    await sharing.obtain(endpoint({ accessToken: 'forever-token', lifetimeMs: undefined }), request());
    expect(storedPlaintext(store)).toMatchObject({ token: 'forever-token', usableUntil: null });
    const ttl = store.values.get(ENTRY.tokenKey)!.expiresAt - Date.now();
    expect(ttl).toBeGreaterThan(86_400_000 - 1_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
  });

  it('a token with no usable lifetime left is handed to the caller but not stored', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    await expect(sharing.obtain(endpoint({ accessToken: 'spent-token', lifetimeMs: 0 }), request())).resolves.toMatchObject({
      issued: { accessToken: 'spent-token' },
    });
    expect(store.calls.set).toBe(0);
  });

  it('a failed fetch still gives the lease back, and its error reaches the caller', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    const failure = new Error('endpoint down');
    await expect(sharing.obtain(() => Promise.reject(failure), request())).rejects.toBe(failure);
    await sleep(20);
    expect(store.values.has(ENTRY.leaseKey)).toBe(false);
    expect(store.values.has(ENTRY.tokenKey)).toBe(false);
  });

  it('a token stored between the look and the lease (its holder stored and gave the lease back) is taken, not fetched again', async () => {
    const store = memoryStore();
    const theirs = await storedBy('their-token', 60_000);
    const get = store.get.bind(store);
    let gets = 0;
    store.get = async (key) => {
      const value = await get(key);
      // Right after this process looked, the holder stores its token and releases the lease.
      if (++gets === 1) store.values.set(ENTRY.tokenKey, { value: theirs, expiresAt: Date.now() + 60_000 });
      return value;
    };
    const { sharing } = sharingOn(store);
    const fromEndpoint = endpoint();
    await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({
      issued: { accessToken: 'their-token' },
      source: 'store',
    });
    expect(fromEndpoint).not.toHaveBeenCalled();
    // Two looks: before the lease and under it; no wait for a further one.
    expect(gets).toBe(2);
    await sleep(20);
    expect(store.values.has(ENTRY.leaseKey)).toBe(false);
  });

  it('giving back a lease it no longer needs: a failure is reported, the token still taken', async () => {
    const store = memoryStore();
    const theirs = await storedBy('their-token', 60_000);
    const get = store.get.bind(store);
    let gets = 0;
    store.get = async (key) => {
      const value = await get(key);
      if (++gets === 1) store.values.set(ENTRY.tokenKey, { value: theirs, expiresAt: Date.now() + 60_000 });
      return value;
    };
    store.deleteIfEquals = () => Promise.reject(new RangeError('down'));
    const { sharing, events } = sharingOn(store);
    await expect(sharing.obtain(endpoint(), request())).resolves.toMatchObject({ source: 'store' });
    await sleep(20);
    expect(events).toEqual([{ name: 'store:unavailable', fields: { errorMessage: 'the store failed: RangeError', retryInMs: 1_000 } }]);
  });

  it('a value that does not open, found under the lease, is not taken: this process fetches and shares', async () => {
    const store = memoryStore();
    const get = store.get.bind(store);
    let gets = 0;
    store.get = async (key) => {
      const value = await get(key);
      if (++gets === 1) store.values.set(ENTRY.tokenKey, { value: 'garbage', expiresAt: Date.now() + 60_000 });
      return value;
    };
    const { sharing, events } = sharingOn(store);
    await expect(sharing.obtain(endpoint({ accessToken: 'own-token', lifetimeMs: 60_000 }), request())).resolves.toMatchObject({
      issued: { accessToken: 'own-token' },
      source: 'endpoint',
    });
    expect(events).toEqual([]);
    expect(storedPlaintext(store).token).toBe('own-token');
  });

  it('while another process holds the lease, waits and takes the token it stores', async () => {
    const store = memoryStore();
    store.values.set(ENTRY.leaseKey, { value: 'other-process', expiresAt: Date.now() + 10_000 });
    const { sharing } = sharingOn(store, { leaseTtlMs: 5_000 });
    const theirs = await storedBy('their-token', 60_000);
    setTimeout(() => store.values.set(ENTRY.tokenKey, { value: theirs, expiresAt: Date.now() + 60_000 }), 60);
    const fromEndpoint = endpoint();
    await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({
      issued: { accessToken: 'their-token' },
      source: 'store',
    });
    expect(fromEndpoint).not.toHaveBeenCalled();
    expect(store.calls.get).toBeGreaterThan(1);
  });

  it('waiting for another process’s token keeps the process alive only while someone waits for it', async () => {
    const store = memoryStore();
    store.values.set(ENTRY.leaseKey, { value: 'other-process', expiresAt: Date.now() + 10_000 });
    const { sharing } = sharingOn(store, { leaseTtlMs: 5_000, pollIntervalMs: 37 });
    const polls: NodeJS.Timeout[] = [];
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation((handler, ms) => {
      const timer = realSetTimeout(handler, ms);
      if (ms === 37) polls.push(timer);
      return timer;
    });
    try {
      const liveness = new Liveness(false);
      const theirs = await storedBy('their-token', 60_000);
      const obtained = sharing.obtain(endpoint(), { renewal: true, replacing: undefined, liveness });
      await sleep(10);
      expect(polls.length).toBeGreaterThan(0);
      expect(polls.every((timer) => !timer.hasRef())).toBe(true);
      liveness.hold();
      expect(polls.at(-1)?.hasRef()).toBe(true);
      store.values.set(ENTRY.tokenKey, { value: theirs, expiresAt: Date.now() + 60_000 });
      await expect(obtained).resolves.toMatchObject({ source: 'store' });
    } finally {
      spy.mockRestore();
    }
  });

  it('a lease that is never given back: the wait ends at twice the lease TTL exactly', async () => {
    const clock = useFakeClock();
    try {
      const store = memoryStore();
      store.values.set(ENTRY.leaseKey, { value: 'stuck-process', expiresAt: Date.now() + 60_000 });
      const { sharing } = sharingOn(store, { leaseTtlMs: 100 });
      const obtained = sharing.obtain(endpoint({ accessToken: 'own-token', lifetimeMs: 60_000 }), request());
      await sleep(30);
      clock.advanceSeconds(0.199);
      const looksBefore = store.calls.get;
      await sleep(30);
      expect(store.calls.get).toBeGreaterThan(looksBefore);
      clock.advanceSeconds(0.001);
      const outcome = await Promise.race([obtained, sleep(300).then(() => 'still waiting')]);
      // A wait that never ended is ended here, so that nothing polls on after the test.
      clock.advanceSeconds(10);
      expect(outcome).toMatchObject({ issued: { accessToken: 'own-token' }, source: 'endpoint' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('a lease that is never given back: after twice the lease TTL, this process fetches on its own', async () => {
    const store = memoryStore();
    store.values.set(ENTRY.leaseKey, { value: 'stuck-process', expiresAt: Date.now() + 60_000 });
    const { sharing } = sharingOn(store, { leaseTtlMs: 100 });
    const started = performance.now();
    await expect(sharing.obtain(endpoint({ accessToken: 'own-token', lifetimeMs: 60_000 }), request())).resolves.toMatchObject({
      issued: { accessToken: 'own-token' },
      source: 'endpoint',
    });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(2_000);
  });
});

describe('StoreSharing: a token a resource refused (401)', () => {
  it('is deleted from the store while it is the stored value, and never taken again', async () => {
    const store = memoryStore();
    const value = await putStored(store, 'refused-token');
    const { sharing } = sharingOn(store);
    await sharing.obtain(endpoint(), request());
    sharing.refused('refused-token');
    await sleep(20);
    expect(store.values.has(ENTRY.tokenKey)).toBe(false);
    // A slow process stores the same value again: it is not taken, but deleted before this process fetches.
    store.values.set(ENTRY.tokenKey, { value, expiresAt: Date.now() + 60_000 });
    let storedWhenFetching: boolean | undefined;
    const fromEndpoint = jest.fn(async (): Promise<IssuedToken> => {
      storedWhenFetching = store.values.has(ENTRY.tokenKey);
      return { accessToken: 'next-token', lifetimeMs: 60_000 };
    });
    await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({
      issued: { accessToken: 'next-token' },
      source: 'endpoint',
    });
    expect(storedWhenFetching).toBe(false);
    expect(storedPlaintext(store).token).toBe('next-token');
  });

  it('is not taken either when it shows up between the look and the lease', async () => {
    const store = memoryStore();
    const value = await putStored(store, 'refused-token');
    const { sharing } = sharingOn(store);
    await sharing.obtain(endpoint(), request());
    sharing.refused('refused-token');
    await sleep(20);
    const get = store.get.bind(store);
    let gets = 0;
    store.get = async (key) => {
      const found = await get(key);
      if (++gets === 1) store.values.set(ENTRY.tokenKey, { value, expiresAt: Date.now() + 60_000 });
      return found;
    };
    await expect(sharing.obtain(endpoint({ accessToken: 'next-token', lifetimeMs: 60_000 }), request())).resolves.toMatchObject({
      issued: { accessToken: 'next-token' },
      source: 'endpoint',
    });
  });

  it('is not deleted when the store already holds another token (compare-and-delete)', async () => {
    const store = memoryStore();
    await putStored(store, 'refused-token');
    const { sharing } = sharingOn(store);
    await sharing.obtain(endpoint(), request());
    await putStored(store, 'successor-token');
    sharing.refused('refused-token');
    await sleep(20);
    expect(store.calls.deleteIfEquals).toBe(1);
    expect(storedPlaintext(store).token).toBe('successor-token');
  });

  it('a token that never came through the store touches nothing', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    sharing.refused('unknown-token');
    await sleep(20);
    expect(store.calls.deleteIfEquals).toBe(0);
  });

  it('the stored values of the last four tokens are kept for it, not more', async () => {
    const store = memoryStore();
    const { sharing } = sharingOn(store);
    const tokens = ['token-1', 'token-2', 'token-3', 'token-4', 'token-5'];
    let previous: string | undefined;
    for (const token of tokens) {
      await putStored(store, token);
      await expect(sharing.obtain(endpoint(), request(previous))).resolves.toMatchObject({ issued: { accessToken: token } });
      previous = token;
    }
    sharing.refused('token-1');
    await sleep(20);
    expect(store.calls.deleteIfEquals).toBe(0);
    sharing.refused('token-2');
    await sleep(20);
    expect(store.calls.deleteIfEquals).toBe(1);
  });
});

describe('StoreSharing: a store that fails or hangs', () => {
  it('is reported once, by error name and code only, and left alone for a second', async () => {
    const store = memoryStore();
    let gets = 0;
    store.get = () => {
      gets++;
      return Promise.reject(Object.assign(new Error('READONLY GET oauth2:token:secret-value'), { code: 'READONLY' }));
    };
    const { sharing, events } = sharingOn(store);
    const fromEndpoint = endpoint({ accessToken: 'a', lifetimeMs: 60_000 }, { accessToken: 'b', lifetimeMs: 60_000 });
    await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({ source: 'endpoint' });
    await expect(sharing.obtain(fromEndpoint, request('a'))).resolves.toMatchObject({ source: 'endpoint' });
    expect(events).toEqual([
      { name: 'store:unavailable', fields: { errorMessage: 'the store failed: Error (READONLY)', retryInMs: 1_000 } },
    ]);
    // The second fetch went straight to the endpoint: the store was not asked again within the second.
    expect(gets).toBe(1);
    expect(fromEndpoint).toHaveBeenCalledTimes(2);
  });

  it('a rejection that is not an Error is described by its type', async () => {
    const store = memoryStore();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- on purpose: a client that rejects with a bare string
    store.get = () => Promise.reject('ECONNREFUSED 10.0.0.1:6379 password=hunter2');
    const { sharing, events } = sharingOn(store);
    await sharing.obtain(endpoint({ accessToken: 'a', lifetimeMs: 60_000 }), request());
    expect(events).toEqual([{ name: 'store:unavailable', fields: { errorMessage: 'the store failed: string', retryInMs: 1_000 } }]);
  });

  it('a store that hangs is given up on after operationTimeoutMs, and said so', async () => {
    const store = memoryStore();
    store.get = () => new Promise<never>(() => {});
    const { sharing, events } = sharingOn(store, { operationTimeoutMs: 80 });
    const started = performance.now();
    await expect(sharing.obtain(endpoint({ accessToken: 'a', lifetimeMs: 60_000 }), request())).resolves.toMatchObject({
      source: 'endpoint',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
    expect(events).toEqual([
      { name: 'store:unavailable', fields: { errorMessage: 'the store did not answer within 80 ms', retryInMs: 1_000 } },
    ]);
  });

  it('is tried again after a second, and its return is reported once, with how long it was away', async () => {
    const clock = useFakeClock();
    try {
      const store = memoryStore();
      const { sharing, events } = sharingOn(store);
      store.failing = true;
      const fromEndpoint = endpoint({ accessToken: 'a', lifetimeMs: 60_000 }, { accessToken: 'b', lifetimeMs: 60_000 });
      await sharing.obtain(fromEndpoint, request());
      store.failing = false;
      clock.advanceSeconds(1.5);
      await expect(sharing.obtain(fromEndpoint, request('a'))).resolves.toMatchObject({ issued: { accessToken: 'b' } });
      clock.advanceSeconds(1);
      await expect(sharing.obtain(fromEndpoint, request())).resolves.toMatchObject({ issued: { accessToken: 'b' }, source: 'store' });
      expect(events).toEqual([
        { name: 'store:unavailable', fields: { errorMessage: 'the store failed: Error', retryInMs: 1_000 } },
        { name: 'store:available', fields: { unavailableForMs: 1_500 } },
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it.each([
    ['storing the token', 'set'],
    ['giving the lease back', 'deleteIfEquals'],
  ] as const)('a store that fails %s is reported, and the caller still gets its token', async (_, operation) => {
    const store = memoryStore();
    const fail = (): Promise<never> => Promise.reject(Object.assign(new Error('down'), { code: 'ECONNRESET' }));
    if (operation === 'set') store.set = fail;
    else store.deleteIfEquals = fail;
    const { sharing, events } = sharingOn(store);
    await expect(sharing.obtain(endpoint({ accessToken: 'fresh-token', lifetimeMs: 60_000 }), request())).resolves.toMatchObject({
      issued: { accessToken: 'fresh-token' },
      source: 'endpoint',
    });
    await sleep(20);
    expect(events).toEqual([
      { name: 'store:unavailable', fields: { errorMessage: 'the store failed: Error (ECONNRESET)', retryInMs: 1_000 } },
    ]);
  });

  it('a store that fails deleting a refused token is reported', async () => {
    const store = memoryStore();
    await putStored(store, 'refused-token');
    const { sharing, events } = sharingOn(store);
    await sharing.obtain(endpoint(), request());
    store.deleteIfEquals = () => Promise.reject(new TypeError('down'));
    sharing.refused('refused-token');
    await sleep(20);
    expect(events).toEqual([{ name: 'store:unavailable', fields: { errorMessage: 'the store failed: TypeError', retryInMs: 1_000 } }]);
  });

  it('a store still failing when tried again after a second is not reported again', async () => {
    const clock = useFakeClock();
    try {
      const store = memoryStore();
      store.failing = true;
      const { sharing, events } = sharingOn(store);
      const fromEndpoint = endpoint({ accessToken: 'a', lifetimeMs: 60_000 }, { accessToken: 'b', lifetimeMs: 60_000 });
      await sharing.obtain(fromEndpoint, request());
      clock.advanceSeconds(1);
      const gets = store.calls.get;
      await sharing.obtain(fromEndpoint, request('a'));
      expect(store.calls.get).toBe(gets + 1);
      expect(events.map((event) => event.name)).toEqual(['store:unavailable']);
    } finally {
      jest.useRealTimers();
    }
  });

  /** A process that took 'refused-token' from the store, then found the store failing when it fetched its successor. */
  async function leftAloneAfterTakingRefusedToken() {
    const store = memoryStore();
    await putStored(store, 'refused-token');
    const { sharing } = sharingOn(store);
    await sharing.obtain(endpoint(), request());
    store.failing = true;
    await sharing.obtain(endpoint({ accessToken: 'own-token', lifetimeMs: 60_000 }), request('refused-token'));
    store.failing = false;
    return { store, sharing };
  }

  it('a refused token is not deleted while the store is left alone', async () => {
    const { store, sharing } = await leftAloneAfterTakingRefusedToken();
    const before = store.calls.deleteIfEquals;
    sharing.refused('refused-token');
    await sleep(20);
    expect(store.calls.deleteIfEquals).toBe(before);
    expect(storedPlaintext(store).token).toBe('refused-token');
  });

  it('a store left alone for a second is used again for a refused token at that second exactly', async () => {
    const clock = useFakeClock();
    try {
      const { store, sharing } = await leftAloneAfterTakingRefusedToken();
      clock.advanceSeconds(1);
      sharing.refused('refused-token');
      await sleep(20);
      expect(store.values.has(ENTRY.tokenKey)).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('sealing of stored values', () => {
  it('a sealed value is v1 and three base64url parts: a 12-byte IV, the ciphertext, a 16-byte tag', () => {
    const sealed = seal(SEALING_KEY, 'entry', 'plain text');
    const [format, iv, ciphertext, tag, ...rest] = sealed.split('.');
    expect(format).toBe('v1');
    expect(rest).toEqual([]);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(ciphertext, 'base64url')).toHaveLength(Buffer.byteLength('plain text'));
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(unseal(SEALING_KEY, 'entry', sealed)).toBe('plain text');
    expect(seal(SEALING_KEY, 'entry', 'plain text')).not.toBe(sealed);
  });

  it('only the exact value opens: another entry, another key, another format, a changed or cut part do not', () => {
    const sealed = seal(SEALING_KEY, 'entry', 'plain text');
    const parts = sealed.split('.');
    const withPart = (index: number, value: string) => parts.map((part, i) => (i === index ? value : part)).join('.');
    const bytes = (index: number) => Buffer.from(parts[index], 'base64url');
    expect(unseal(SEALING_KEY, 'other entry', sealed)).toBeUndefined();
    expect(unseal(randomBytes(32), 'entry', sealed)).toBeUndefined();
    expect(unseal(SEALING_KEY, 'entry', withPart(0, 'v2'))).toBeUndefined();
    expect(unseal(SEALING_KEY, 'entry', `${sealed}.extra`)).toBeUndefined();
    expect(unseal(SEALING_KEY, 'entry', parts.slice(0, 3).join('.'))).toBeUndefined();
    const flipped = bytes(2);
    flipped[0] ^= 1;
    expect(unseal(SEALING_KEY, 'entry', withPart(2, flipped.toString('base64url')))).toBeUndefined();
    // A truncated tag would still verify in Node's GCM (tags of 4 to 16 bytes): it is refused by length.
    expect(unseal(SEALING_KEY, 'entry', withPart(3, bytes(3).subarray(0, 12).toString('base64url')))).toBeUndefined();
    expect(unseal(SEALING_KEY, 'entry', withPart(3, bytes(3).subarray(0, 4).toString('base64url')))).toBeUndefined();
    // So is an IV of another length.
    expect(unseal(SEALING_KEY, 'entry', withPart(1, bytes(1).subarray(0, 8).toString('base64url')))).toBeUndefined();
  });

  it('the key from the client secret is HKDF-SHA256 with the documented salt: every process and version derives the same', () => {
    const key = keyFromSecret('client-secret', 'oauth2:token:entry');
    expect(key).toHaveLength(32);
    const expected = Buffer.from(hkdfSync('sha256', 'client-secret', 'axios-client-credentials/token-store/v1', 'oauth2:token:entry', 32));
    expect(key.equals(expected)).toBe(true);
    expect(key.equals(keyFromSecret('client-secret', 'oauth2:token:other'))).toBe(false);
  });

  it('digest names a list of strings unambiguously: SHA-256 of its JSON, base64url', () => {
    expect(digest(['a', 'b'])).toBe(createHash('sha256').update('["a","b"]').digest('base64url'));
    expect(digest(['a', 'b'])).not.toBe(digest(['ab']));
    expect(digest(['a', 'b'])).not.toBe(digest(['b', 'a']));
  });
});

describe('stored values across versions', () => {
  // A value sealed by version 0.1.0 for the client secret 'client-secret-1' and the entry
  // 'oauth2:token:vector'. Processes of an older and a newer version share one store during
  // a rolling deploy: each must open what the other stored. Loaded inside the test: the
  // format tag and the HKDF salt are module-level constants (see support/fresh-module.ts).
  const VECTOR = 'v1.4yrLlZLAi4VmQ73z.I-uSLBPClBCyvZDQYVfC.699hpsVmbq20SnwhMZQE7A';

  it('a value an earlier version stored opens, and a value this version seals has the same form', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const sealing = freshModule(() => require('../lib/stores/sealing')) as typeof import('../lib/stores/sealing');
    const key = sealing.keyFromSecret('client-secret-1', 'oauth2:token:vector');
    expect(sealing.unseal(key, 'oauth2:token:vector', VECTOR)).toBe('{"token":"abc"}');
    expect(sealing.seal(key, 'oauth2:token:vector', '{"token":"abc"}')).toMatch(/^v1\.[\w-]{16}\.[\w-]{20}\.[\w-]{22}$/);
  });
});

describe('store keys across versions', () => {
  // Keys this version names a client's entry with, for three kinds of client. Processes of
  // two versions share one entry during a rolling deploy only while these stay the same.
  it.each([
    ['client credentials', {}, 'oauth2:token:kSTbrbpxbD-0k-CtNsKFQj-k1fqVQeouy399BtaBXYc'],
    [
      'the password grant, with a scope and extra parameters',
      { scope: 'read write', grantType: 'password', username: 'alice', password: 'p', extraParams: { audience: 'api' } },
      'oauth2:token:sdLq_vPa3lfUzcq0ZihAB8bYcGPUCdkgunKxwy9VVBI',
    ],
    [
      'the jwt-bearer grant without a client',
      {
        clientId: undefined,
        clientSecret: undefined,
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: 'a.b.c',
        store: memoryStore({ encryptionKey: Buffer.alloc(32, 7) }),
      },
      'oauth2:token:yZDvEHmjWGb8LvMANUrh9943NTpa1KmOnuRXpjp5HpI',
    ],
  ])('%s', (_, options, tokenKey) => {
    const resolved = resolveOptions({
      tokenEndpoint: 'https://auth.example.com/token',
      clientId: 'billing',
      clientSecret: 's',
      store: memoryStore(),
      ...options,
    }).store;
    expect(resolved?.entry.tokenKey).toBe(tokenKey);
    expect(resolved?.entry.leaseKey).toBe(tokenKey.replace(':token:', ':lease:'));
  });
});

describe('option store: the entry of a client, its key and its timing', () => {
  const base = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'billing', clientSecret: 'secret-1' };
  const resolved = (options: Record<string, unknown>) => {
    const store = resolveOptions({ ...base, store: memoryStore(), ...options }).store;
    if (store === undefined) throw new Error('no store resolved');
    return store;
  };
  const nameOf = (options: Record<string, unknown>) => resolved(options).entry.tokenKey;
  /** The same on a copy of lib/options loaded in the calling test: the default prefix and the operation list are made when it loads. */
  const freshlyResolved = (options: Record<string, unknown>) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/options')) as typeof import('../lib/options');
    const store = fresh.resolveOptions({ ...base, store: memoryStore(), ...options }).store;
    if (store === undefined) throw new Error('no store resolved');
    return store;
  };

  it('keys are the prefix, token: or lease:, and one hashed name; the default prefix is oauth2:', () => {
    const { entry } = freshlyResolved({});
    expect(entry.tokenKey).toMatch(/^oauth2:token:[\w-]{43}$/);
    expect(entry.leaseKey).toBe(entry.tokenKey.replace('oauth2:token:', 'oauth2:lease:'));
    const custom = resolved({ store: memoryStore({ keyPrefix: 'app1/' }) }).entry;
    expect(custom.tokenKey).toBe(entry.tokenKey.replace('oauth2:', 'app1/'));
    expect(custom.leaseKey).toBe(entry.leaseKey.replace('oauth2:', 'app1/'));
  });

  it('the name differs with everything that makes a token differ, and with nothing secret', () => {
    const name = nameOf({});
    expect(nameOf({ tokenEndpoint: 'https://auth.example.com/other' })).not.toBe(name);
    expect(nameOf({ clientId: 'shipping' })).not.toBe(name);
    expect(nameOf({ scope: 'read' })).not.toBe(name);
    expect(nameOf({ extraParams: { audience: 'api' } })).not.toBe(name);
    expect(nameOf({ grantType: 'password', username: 'alice', password: 'pw-1' })).not.toBe(name);
    expect(nameOf({ grantType: 'password', username: 'alice', password: 'pw-1' })).not.toBe(
      nameOf({ grantType: 'password', username: 'bob', password: 'pw-1' }),
    );
    expect(nameOf({ grantType: 'password', username: 'alice', password: 'pw-1' })).toBe(
      nameOf({ grantType: 'password', username: 'alice', password: 'pw-2' }),
    );
    expect(nameOf({ clientSecret: 'secret-2' })).toBe(name);
  });

  it('timing: the settings given, else a 50 ms poll, a 250 ms operation timeout, and the lease TTL left to the backend', () => {
    expect(resolved({}).timing).toEqual({ leaseTtlMs: undefined, pollIntervalMs: 50, operationTimeoutMs: 250 });
    expect(resolved({ store: memoryStore({ leaseTtlMs: 9_000, pollIntervalMs: 5, operationTimeoutMs: 40 }) }).timing).toEqual({
      leaseTtlMs: 9_000,
      pollIntervalMs: 5,
      operationTimeoutMs: 40,
    });
  });

  it('the sealing key: derived from the client secret for the token key, or the 32 bytes given (a copy)', () => {
    const derived = resolved({});
    expect(Buffer.from(derived.entry.sealingKey).equals(keyFromSecret('secret-1', derived.entry.tokenKey))).toBe(true);
    const given = randomBytes(32);
    const fromBytes = resolved({ store: memoryStore({ encryptionKey: given }) }).entry.sealingKey;
    expect(Buffer.from(fromBytes).equals(given)).toBe(true);
    given[0] ^= 0xff;
    expect(Buffer.from(fromBytes).equals(given)).toBe(false);
    const fromBase64 = resolved({ store: memoryStore({ encryptionKey: given.toString('base64') }) }).entry.sealingKey;
    expect(Buffer.from(fromBase64).equals(given)).toBe(true);
  });

  it.each([
    ['16 bytes', randomBytes(16)],
    ['33 bytes', randomBytes(33)],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['an array of numbers', Array.from({ length: 32 }, () => 1)],
  ])('an encryptionKey of %s is refused as store.encryptionKey', (_, encryptionKey) => {
    let thrown: unknown;
    try {
      resolved({ store: memoryStore({ encryptionKey: encryptionKey as never }) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionsError);
    expect(thrown).toMatchObject({
      option: 'store.encryptionKey',
      message: expect.stringContaining('expected 32 bytes: a Buffer/Uint8Array, or a base64 string of 32 bytes') as unknown,
    });
  });

  it('a store without some operations is refused, naming exactly those missing', () => {
    const partial = { get: async () => undefined, set: async () => undefined };
    expect(() => freshlyResolved({ store: partial })).toThrow('Invalid option "store": expected a token store such as redisStore(client)');
    expect(() => freshlyResolved({ store: partial })).toThrow(/missing setIfAbsent, deleteIfEquals$/);
    expect(() => freshlyResolved({ store: { ...partial, setIfAbsent: 'yes', deleteIfEquals: async () => true } })).toThrow(
      /missing setIfAbsent$/,
    );
    expect(() => freshlyResolved({ store: null })).toThrow(/missing get, set, setIfAbsent, deleteIfEquals$/);
    expect(freshlyResolved({ store: memoryStore() }).store).toBeDefined();
    // What counts is the four operations, not the kind of value that carries them.
    const operations = {
      get: async () => undefined,
      set: async () => undefined,
      setIfAbsent: async () => true,
      deleteIfEquals: async () => true,
    };
    expect(freshlyResolved({ store: Object.assign(() => undefined, operations) }).store).toBeDefined();
    expect(() => resolved({ store: 'redis://localhost' })).toThrow(InvalidOptionsError);
  });

  it('a client without a secret must give a key; the message names its method', () => {
    expect(() =>
      resolveOptions({
        tokenEndpoint: 'https://auth.example.com/token',
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: 'a.b.c',
        store: memoryStore(),
      }),
    ).toThrow(/^Invalid option "store": needs settings.encryptionKey .*with tokenEndpointAuthMethod 'none' there is no client secret/);
  });
});
