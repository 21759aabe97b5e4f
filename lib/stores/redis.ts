import { storeDeadline } from './store-deadline';
import { InvalidOptionsError } from '../errors';
import type { TokenStore, TokenStoreSettings } from './token-store';
import { describeValue } from '../describe-value';

/**
 * A connected Redis client of the app, as `redisStore()` takes it: a node-redis client
 * (`redis` 5 or 6: `createClient()`, or a pool of `createClientPool()`), which has
 * `sendCommand`, or an ioredis client (`ioredis` 5 or 6: `new Redis()`), which has
 * `call`. The library depends on neither; it sends them raw commands.
 */
export type RedisClientLike =
  | {
      /** node-redis: sends a command given as its arguments. */
      sendCommand(args: string[], options?: { timeout?: number; typeMapping?: object }): Promise<unknown>;
    }
  | {
      /** ioredis: sends a command given as its name and arguments. */
      call(command: string, ...args: string[]): Promise<unknown>;
    };

/**
 * Deletes KEYS[1] only if it holds ARGV[1], atomically (a script runs alone): 1 when it
 * did, 0 otherwise. `GET` of a missing key is `false` in Lua, never equal to a string.
 */
const DELETE_IF_EQUALS_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** Same default as the coordination layer's: how long one command may take. */
const DEFAULT_OPERATION_TIMEOUT_MS = 250;
/** The longest delay a Node.js timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
const ENCRYPTION_KEY_BYTES = 32;
/** 32 bytes in base64: 43 characters and one `=` of padding (optional), standard or URL-safe alphabet. */
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]|[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])=?$/;

/** Sends one command (as its arguments) through the client; `giveUp` aborts when the store gives up on it (out of the client's offline queue). */
type Send = (args: string[], giveUp: AbortSignal) => unknown;

/** node-redis clients whose `sendCommand` takes other arguments (routing first). */
const NODE_REDIS_ROUTED = ['getSlotMaster', 'getMasterNode'] as const;

/** Clients this module has given an 'error' listener, so a store made twice adds one once. */
const guardedClients = new WeakSet();

/**
 * A TokenStore in Redis, through the app's own connected client: node-redis (`redis` 5
 * or 6) or ioredis (5 or 6), told apart by their methods; neither is a dependency of
 * this library. Each operation is one command:
 *
 * - `get`: `GET key`;
 * - `set`: `SET key value PX ttl`;
 * - `setIfAbsent`: `SET key value PX ttl NX`;
 * - `deleteIfEquals`: `EVAL` of a script that deletes the key only if it holds the value.
 *
 * TTLs are rounded up to whole milliseconds. An operation rejects, and never hangs, when
 * Redis is down, slow or answers something unexpected: after `settings.operationTimeoutMs`
 * (default 250 ms) at the latest, even while the client holds its commands until it
 * reconnects (node-redis's and ioredis's offline queues) or waits on a frozen server.
 * The app keeps its client: connecting, reconnecting and closing it are its own.
 *
 * node-redis turns an 'error' event without a listener into an uncaught exception that
 * ends the process; a node-redis client without an 'error' listener is given one that
 * ignores the errors, so that Redis going away cannot crash the app. node-redis cluster
 * and sentinel clients are not supported (their `sendCommand` routes differently); an
 * ioredis `Cluster` works like a client.
 *
 * @param client - The app's Redis client, connected or connecting.
 * @param settings - How the plugin uses the store; checked here.
 * @throws {@link InvalidOptionsError} when `client` is not a Redis client (option `store`) or a
 *   setting is invalid (`store.encryptionKey`, `store.keyPrefix`, ...).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: process.env.REDIS_URL }).on('error', console.warn).connect();
 * oauth2(axios, { tokenEndpoint, clientId, clientSecret, store: redisStore(redis) });
 * ```
 */
export function redisStore(client: RedisClientLike, settings?: TokenStoreSettings): TokenStore {
  const resolved = resolveTokenStoreSettings(settings);
  return new RedisStore(senderFor(client), resolved);
}

/** The store: the client only in a private field, so inspecting or serializing the store never shows it. */
class RedisStore implements TokenStore {
  readonly settings: TokenStoreSettings;
  readonly #send: Send;
  readonly #timeoutMs: number;

  constructor(send: Send, settings: TokenStoreSettings) {
    this.#send = send;
    this.settings = settings;
    this.#timeoutMs = settings.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  async get(key: string): Promise<string | undefined> {
    const reply = await this.#run(['GET', checkedString('key', key)]);
    const value = asText(reply);
    if (value === null) return undefined;
    if (value === undefined) throw garbage('GET', reply, 'a string or nil');
    return value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const reply = await this.#run(['SET', checkedString('key', key), checkedString('value', value), 'PX', checkedTtl(ttlMs)]);
    if (asText(reply) !== 'OK') throw garbage('SET', reply, 'OK');
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#run(['SET', checkedString('key', key), checkedString('value', value), 'PX', checkedTtl(ttlMs), 'NX']);
    const text = asText(reply);
    if (text === 'OK') return true;
    if (text === null) return false;
    throw garbage('SET NX', reply, 'OK or nil');
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    const reply = await this.#run(['EVAL', DELETE_IF_EQUALS_SCRIPT, '1', checkedString('key', key), checkedString('expected', expected)]);
    if (reply === 1 || reply === 1n) return true;
    if (reply === 0 || reply === 0n) return false;
    throw garbage('EVAL', reply, 'the integer 1 or 0');
  }

  /** Sends a command; rejects with a RedisStoreError on the client's failure, a non-promise or no reply in time. */
  #run(args: string[]): Promise<unknown> {
    const command = args[0];
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const giveUp = new AbortController();
      const cancelDeadline = storeDeadline(timeoutMs, () => {
        giveUp.abort();
        reject(new RedisStoreError(`${command} got no reply within ${timeoutMs} ms`));
      });
      const fail = (error: unknown) => {
        cancelDeadline();
        reject(failure(command, error));
      };
      let pending: unknown;
      try {
        pending = this.#send(args, giveUp.signal);
      } catch (error) {
        fail(error);
        return;
      }
      if (!isThenable(pending)) {
        fail(new Error('the client returned no promise (a callback-style or legacy-mode client?)'));
        return;
      }
      pending.then((reply) => {
        cancelDeadline();
        resolve(reply);
      }, fail);
    });
  }
}

/**
 * A store operation that failed: the client's error (its name, code and message only,
 * never the command's arguments, which ioredis attaches to its errors), an answer of the
 * wrong type, or no answer in time.
 */
class RedisStoreError extends Error {
  static {
    this.prototype.name = 'RedisStoreError';
  }
}

/** The sender for a node-redis or an ioredis client; InvalidOptionsError for anything else. */
function senderFor(client: unknown): Send {
  // Objects only: every function has a `call` method.
  if (client !== null && typeof client === 'object') {
    const methods = client as Record<string, unknown>;
    // ioredis first: its clients also have a `sendCommand`, which takes a Command object.
    if (typeof methods.call === 'function') {
      const call = methods.call as (...args: string[]) => unknown;
      return (args) => call.apply(client, args);
    }
    if (typeof methods.sendCommand === 'function') {
      const routed = NODE_REDIS_ROUTED.find((name) => typeof methods[name] === 'function');
      if (routed !== undefined) {
        throw new InvalidOptionsError(
          'store',
          'node-redis cluster and sentinel clients are not supported; pass a client of one node (createClient()), or an ioredis client or Cluster',
        );
      }
      guardErrorEvents(client);
      const sendCommand = methods.sendCommand as (args: string[], options: object) => unknown;
      // `abortSignal` takes a command out of the offline queue once the store gives up on it (not
      // `timeout`: node-redis's own timer also drops a command this process was too busy to write yet);
      // an empty `typeMapping` overrides the client's own (Buffers, Maps...): plain strings and numbers.
      return (args, giveUp) => sendCommand.call(client, args, { abortSignal: giveUp, typeMapping: {} });
    }
  }
  throw new InvalidOptionsError(
    'store',
    `expected a connected Redis client: node-redis (redis 5 or 6, from createClient(), with sendCommand) or ioredis (5 or 6, new Redis(), with call); got ${describeValue(client)}`,
  );
}

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
}

/** Gives a node-redis client without an 'error' listener one, so its errors are not uncaught exceptions. */
function guardErrorEvents(client: Partial<Emitter>): void {
  if (typeof client.on !== 'function' || typeof client.listenerCount !== 'function' || guardedClients.has(client)) return;
  guardedClients.add(client);
  if (client.listenerCount('error') === 0) client.on('error', ignoreError);
}

function ignoreError(): void {
  // The store's operations reject on their own while Redis is unavailable.
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A reply as text: strings as they are, Buffers as UTF-8, nil as null; undefined for anything else. */
function asText(reply: unknown): string | null | undefined {
  if (typeof reply === 'string') return reply;
  if (reply === null) return null;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8');
  return undefined;
}

function garbage(command: string, reply: unknown, expected: string): RedisStoreError {
  return new RedisStoreError(`${command} answered ${describeReply(reply)}, expected ${expected}`);
}

function failure(command: string, error: unknown): RedisStoreError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const result = new RedisStoreError(`${command} failed: ${name}${message ? `: ${message}` : ''}`);
  if (typeof code === 'string') Object.assign(result, { code });
  return result;
}

/** What a reply was, without its content (it may be someone's data). */
function describeReply(reply: unknown): string {
  if (reply === undefined) return 'nothing';
  if (typeof reply === 'string') return `a string of ${reply.length} characters`;
  if (Array.isArray(reply)) return 'an array';
  if (reply instanceof Uint8Array) return `${reply.byteLength} bytes`;
  return typeof reply === 'object' ? 'an object' : `a ${typeof reply}`;
}

function checkedString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new RedisStoreError(`the ${name} must be a string; got ${describeValue(value)}`);
  return value;
}

/** A TTL in whole milliseconds, at least 1, as Redis takes it. */
function checkedTtl(ttlMs: unknown): string {
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > Number.MAX_SAFE_INTEGER) {
    throw new RedisStoreError(`the TTL must be a positive number of milliseconds; got ${describeValue(ttlMs)}`);
  }
  return String(Math.max(1, Math.ceil(ttlMs)));
}

/**
 * Checks a store's settings and returns them frozen, the encryption key as a copy of its
 * 32 bytes and not enumerable (so logging or serializing the settings leaves it out).
 * Settings it does not know are kept as they are.
 */
export function resolveTokenStoreSettings(settings: unknown): TokenStoreSettings {
  if (settings === undefined) return Object.freeze({});
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new InvalidOptionsError('store', `expected the settings as an object; got ${describeValue(settings)}`);
  }
  const given = settings as Record<string, unknown>;
  const resolved: Record<string, unknown> = { ...given };
  delete resolved.encryptionKey;
  if (given.keyPrefix !== undefined && (typeof given.keyPrefix !== 'string' || given.keyPrefix === '')) {
    throw new InvalidOptionsError('store.keyPrefix', `expected a non-empty string; got ${describeValue(given.keyPrefix)}`);
  }
  for (const name of ['leaseTtlMs', 'pollIntervalMs', 'operationTimeoutMs'] as const) {
    const value = given[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= MAX_TIMER_MS)) {
      throw new InvalidOptionsError(
        `store.${name}`,
        `expected a positive integer number of milliseconds (at most ${MAX_TIMER_MS}); got ${describeValue(value)}`,
      );
    }
  }
  if (given.encryptionKey !== undefined) {
    Object.defineProperty(resolved, 'encryptionKey', { value: encryptionKey(given.encryptionKey), enumerable: false });
  }
  return Object.freeze(resolved);
}

function encryptionKey(value: unknown): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string' && BASE64_KEY.test(value)) bytes = Buffer.from(value, 'base64');
  if (bytes?.byteLength !== ENCRYPTION_KEY_BYTES) {
    throw new InvalidOptionsError(
      'store.encryptionKey',
      `expected ${ENCRYPTION_KEY_BYTES} bytes, as a Buffer/Uint8Array or a base64 string of them (44 characters, e.g. from \`openssl rand -base64 32\`); got ${describeKey(value)}`,
    );
  }
  return Buffer.from(bytes);
}

/** What an invalid key was, without any of it: it may be most of a real key. */
function describeKey(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'string') return `a string of ${value.length} characters that is not base64 of ${ENCRYPTION_KEY_BYTES} bytes`;
  return describeValue(value);
}
