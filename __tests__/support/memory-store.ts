import type { TokenStore, TokenStoreSettings } from '../../lib/stores/token-store';

/** A TokenStore in memory, atomic by construction (one thread), with TTLs on Date.now(), for tests of the sharing logic. */
export interface MemoryStore extends TokenStore {
  readonly values: Map<string, { value: string; expiresAt: number }>;
  /** Makes every operation reject (a store that is down), or work again. */
  failing: boolean;
  /** Operations received, by name. */
  readonly calls: Record<'get' | 'set' | 'setIfAbsent' | 'deleteIfEquals', number>;
}

export function memoryStore(settings: TokenStoreSettings = {}): MemoryStore {
  const values = new Map<string, { value: string; expiresAt: number }>();
  const calls = { get: 0, set: 0, setIfAbsent: 0, deleteIfEquals: 0 };
  const live = (key: string) => {
    const entry = values.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) values.delete(key);
    return values.get(key);
  };
  const store: MemoryStore = {
    values,
    calls,
    failing: false,
    settings,
    async get(key) {
      calls.get++;
      if (store.failing) throw new Error('store down');
      return live(key)?.value;
    },
    async set(key, value, ttlMs) {
      calls.set++;
      if (store.failing) throw new Error('store down');
      values.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      calls.setIfAbsent++;
      if (store.failing) throw new Error('store down');
      if (live(key) !== undefined) return false;
      values.set(key, { value, expiresAt: Date.now() + ttlMs });
      return true;
    },
    async deleteIfEquals(key, expected) {
      calls.deleteIfEquals++;
      if (store.failing) throw new Error('store down');
      if (live(key)?.value !== expected) return false;
      values.delete(key);
      return true;
    },
  };
  return store;
}
