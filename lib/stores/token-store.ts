/**
 * Option `store`: a place shared by every process of a fleet, where one token per client
 * is kept for all of them. The plugin coordinates through it (see shared-source.ts): it
 * encrypts what it stores, so a store only ever holds opaque strings. `redisStore()`
 * makes one from an app's Redis client; any object with these four operations will do.
 */
export interface TokenStore {
  /** The value of `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<string | undefined>;
  /** Sets `key` to `value`, to expire after `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Sets `key` to `value` only if `key` has no value, to expire after `ttlMs`; whether it
   * did. Must be atomic across processes (Redis: `SET key value NX PX ttl`): it is the lease
   * that lets one process fetch while the others wait.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Deletes `key` only if it holds `expected`; whether it did. Must be atomic across
   * processes: a 401 removes the shared token only while it is still the refused one.
   */
  deleteIfEquals(key: string, expected: string): Promise<boolean>;
  /** How the store coordinates; every field has a default. */
  readonly settings?: TokenStoreSettings;
}

/** How the plugin uses a TokenStore. */
export interface TokenStoreSettings {
  /**
   * The AES-256-GCM key that encrypts stored tokens: 32 bytes, as a Buffer/Uint8Array or
   * a base64 string. Default: derived with HKDF-SHA256 from the client secret, so every
   * process of the same client can read the token and nobody without the secret can.
   * Required when the client has no secret (`private_key_jwt`, `clientAssertion`, the
   * jwt-bearer grant without client authentication).
   */
  encryptionKey?: Uint8Array | string;
  /** Prefix of every key the plugin writes. Default `'oauth2:'`. */
  keyPrefix?: string;
  /**
   * How long the process fetching a token holds the lease, in milliseconds: should it die,
   * another process takes over after this. Default: the token request's timeout plus 5 s.
   */
  leaseTtlMs?: number;
  /** How often a waiting process looks for the token another one is fetching, in ms. Default `50`. */
  pollIntervalMs?: number;
  /**
   * Longest a store operation may take, in milliseconds; a slower or failing store is
   * left alone for a while and the process fetches on its own. Default `250`.
   */
  operationTimeoutMs?: number;
}
