import { inspect } from 'node:util';
import IORedis6, { Cluster as IORedisCluster } from 'ioredis';
import IORedis5 from 'ioredis-5';
import { createClient as createClient6, createClientPool, RESP_TYPES } from 'redis';
import { createClient as createClient5 } from 'redis-5';
import { redisStore, type RedisClientLike } from '../lib/stores/redis';
import type { TokenStore } from '../lib/stores/token-store';
import { REDIS_CLIENT_KINDS, useRedisClients, type RedisClientKind, type TestRedisClient } from './support/redis-clients';
import { useRedisServer } from './support/redis-server';
import { invalidOptionsErrorOf } from './support/options';
import { freshModule } from './support/fresh-module';

/**
 * redis.ts and errors.ts loaded inside the calling test: the compare-and-delete script and
 * the base64 pattern of an encryption key are made when redis.ts loads (see support/fresh-module.ts).
 */
const freshRedis = () =>
  freshModule(() => ({
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    redis: require('../lib/stores/redis') as typeof import('../lib/stores/redis'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy
    errors: require('../lib/errors') as typeof import('../lib/errors'),
  })) as { redis: typeof import('../lib/stores/redis'); errors: typeof import('../lib/errors') };

/** The InvalidOptionsError of a fresh copy that `build` throws with that copy's redisStore. */
function freshRefusal(build: (store: typeof import('../lib/stores/redis').redisStore) => unknown) {
  const { redis, errors } = freshRedis();
  try {
    build(redis.redisStore);
  } catch (error) {
    if (error instanceof errors.InvalidOptionsError) return error;
    throw error;
  }
  throw new Error('expected an InvalidOptionsError');
}

const server = useRedisServer();
const clients = useRedisClients();

let keys = 0;
/** A key no other test uses. */
const freshKey = (kind: string) => `test:${kind}:${process.pid}:${++keys}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a rejected operation took, in ms, and what it rejected with; fails if it resolved. */
async function rejection(operation: Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const started = performance.now();
  try {
    await operation;
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
  throw new Error('expected the operation to reject, it resolved');
}

/** Every operation of the store, each on its own key, to start one at a time. */
function everyOperation(store: TokenStore, kind: string): [string, () => Promise<unknown>][] {
  return [
    ['get', () => store.get(freshKey(kind))],
    ['set', () => store.set(freshKey(kind), 'v', 10_000)],
    ['setIfAbsent', () => store.setIfAbsent(freshKey(kind), 'v', 10_000)],
    ['deleteIfEquals', () => store.deleteIfEquals(freshKey(kind), 'v')],
  ];
}

describe.each(REDIS_CLIENT_KINDS)('redisStore with %s', (kind: RedisClientKind) => {
  const isNodeRedis = kind.startsWith('redis@');
  let redis: TestRedisClient;
  let store: TokenStore;

  beforeEach(async () => {
    redis = await clients.connect(kind, server.url);
    store = redisStore(redis.client as RedisClientLike);
  });

  it('gets undefined for a missing key', async () => {
    await expect(store.get(freshKey(kind))).resolves.toBeUndefined();
  });

  it('sets a value with a TTL and gets it back', async () => {
    const key = freshKey(kind);
    await expect(store.set(key, 'v1.sealed', 60_000)).resolves.toBeUndefined();
    await expect(store.get(key)).resolves.toBe('v1.sealed');
    const pttl = (await redis.command('PTTL', key)) as number;
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('set replaces the value and its TTL', async () => {
    const key = freshKey(kind);
    await store.set(key, 'first', 60_000);
    await store.set(key, 'second', 5_000);
    await expect(store.get(key)).resolves.toBe('second');
    expect(await redis.command('PTTL', key)).toBeLessThanOrEqual(5_000);
  });

  it('a value expires after its TTL', async () => {
    const key = freshKey(kind);
    await store.set(key, 'short-lived', 150);
    await expect(store.get(key)).resolves.toBe('short-lived');
    await sleep(300);
    await expect(store.get(key)).resolves.toBeUndefined();
  });

  it('setIfAbsent sets once, then not while the key holds a value, and again once it expired', async () => {
    const key = freshKey(kind);
    await expect(store.setIfAbsent(key, 'lease-a', 200)).resolves.toBe(true);
    await expect(store.setIfAbsent(key, 'lease-b', 200)).resolves.toBe(false);
    await expect(store.get(key)).resolves.toBe('lease-a');
    expect(await redis.command('PTTL', key)).toBeLessThanOrEqual(200);
    await sleep(350);
    await expect(store.get(key)).resolves.toBeUndefined();
    await expect(store.setIfAbsent(key, 'lease-b', 200)).resolves.toBe(true);
    await expect(store.get(key)).resolves.toBe('lease-b');
  });

  it('setIfAbsent leaves a key that set wrote alone', async () => {
    const key = freshKey(kind);
    await store.set(key, 'token', 60_000);
    await expect(store.setIfAbsent(key, 'lease', 200)).resolves.toBe(false);
    await expect(store.get(key)).resolves.toBe('token');
  });

  it('of concurrent setIfAbsent calls on one key, exactly one wins', async () => {
    const other = await clients.connect(kind, server.url);
    const stores = [store, redisStore(other.client as RedisClientLike)];
    const key = freshKey(kind);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2].setIfAbsent(key, `lease-${i}`, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(store.get(key)).resolves.toBe(`lease-${results.indexOf(true)}`);
  });

  it('rounds TTLs up to whole milliseconds, at least 1', async () => {
    const key = freshKey(kind);
    await store.set(key, 'v', 1500.2);
    const pttl = (await redis.command('PTTL', key)) as number;
    expect(pttl).toBeGreaterThan(1400);
    expect(pttl).toBeLessThanOrEqual(1501);
    const tiny = freshKey(kind);
    await expect(store.setIfAbsent(tiny, 'v', 0.01)).resolves.toBe(true);
    await sleep(20);
    await expect(store.get(tiny)).resolves.toBeUndefined();
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '100' as unknown as number, 2 ** 60])(
    'rejects the TTL %p without writing anything',
    async (ttl) => {
      const key = freshKey(kind);
      await expect(store.set(key, 'v', ttl)).rejects.toThrow(/TTL must be a positive number of milliseconds/);
      await expect(store.setIfAbsent(key, 'v', ttl)).rejects.toThrow(/TTL must be a positive number of milliseconds/);
      expect(await redis.command('EXISTS', key)).toBe(0);
    },
  );

  it('deleteIfEquals deletes only on an exact match', async () => {
    const key = freshKey(kind);
    await expect(store.deleteIfEquals(key, 'anything')).resolves.toBe(false);
    await store.set(key, 'v1.abc', 60_000);
    for (const other of ['v1.ab', 'v1.abcd', 'V1.ABC', ' v1.abc', 'v1.abc ', '']) {
      await expect(store.deleteIfEquals(key, other)).resolves.toBe(false);
    }
    await expect(store.get(key)).resolves.toBe('v1.abc');
    await expect(store.deleteIfEquals(key, 'v1.abc')).resolves.toBe(true);
    await expect(store.get(key)).resolves.toBeUndefined();
    await expect(store.deleteIfEquals(key, 'v1.abc')).resolves.toBe(false);
  });

  it('of 50 concurrent deleteIfEquals of the same value, from two connections, exactly one deletes', async () => {
    const other = await clients.connect(kind, server.url);
    const stores = [store, redisStore(other.client as RedisClientLike)];
    const key = freshKey(kind);
    await store.set(key, 'refused-token', 60_000);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2].deleteIfEquals(key, 'refused-token')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('deleteIfEquals never deletes a value that replaced the expected one (compare and delete is one step)', async () => {
    const other = await clients.connect(kind, server.url);
    const writer = redisStore(other.client as RedisClientLike);
    const key = freshKey(kind);
    for (let round = 0; round < 100; round++) {
      await store.set(key, `token-${round}`, 60_000);
      // Another process stores a new token while this one removes the refused one.
      const [deleted] = await Promise.all([store.deleteIfEquals(key, `token-${round}`), writer.set(key, `token-${round + 1}`, 60_000)]);
      // Either the delete came first (and the new token was written after it) or the new
      // token came first (and the delete found no match): the new token is there either way.
      await expect(store.get(key)).resolves.toBe(`token-${round + 1}`);
      expect(typeof deleted).toBe('boolean');
    }
  });

  it('keeps values exactly: base64url, dots, padding, Unicode, empty, long', async () => {
    const values = [
      'v1.AAECAwQFBgcICQoLDA0ODw.3q2-7w_-__8.AAAAAAAAAAAAAAAAAAAAAA',
      'a.b.c..d.',
      'with+slash/and=padding==',
      'spaces and\ttabs\r\nand newlines',
      'Ünïcødé € 😀 日本',
      '',
      'x'.repeat(64 * 1024),
    ];
    for (const value of values) {
      const key = freshKey(kind);
      await store.set(key, value, 60_000);
      await expect(store.get(key)).resolves.toBe(value);
      await expect(store.deleteIfEquals(key, value)).resolves.toBe(true);
    }
    const odd = `${freshKey(kind)}:with spaces:ü:{braces}`;
    await expect(store.setIfAbsent(odd, 'v', 60_000)).resolves.toBe(true);
    await expect(store.get(odd)).resolves.toBe('v');
  });

  it('rejects with a clear error when the key holds another type (WRONGTYPE)', async () => {
    const key = freshKey(kind);
    await redis.command('HSET', key, 'field', 'value');
    await expect(store.get(key)).rejects.toThrow(/^GET failed: .*WRONGTYPE/);
    await expect(store.deleteIfEquals(key, 'value')).rejects.toThrow(/^EVAL failed: .*WRONGTYPE/);
  });

  it.each(['stop', 'kill'] as const)(
    'while Redis is down (%s), every operation rejects within a second, and works again once it is back',
    async (how) => {
      const key = freshKey(kind);
      await store.set(key, 'before', 60_000);
      await server[how]();
      for (const [name, operation] of everyOperation(store, kind)) {
        const { ms, error } = await rejection(operation());
        expect({ name, ms: ms < 1000 }).toEqual({ name, ms: true });
        expect(error.name).toBe('RedisStoreError');
      }
      // And again a while later, while the client keeps reconnecting.
      await sleep(200);
      for (const [, operation] of everyOperation(store, kind)) expect((await rejection(operation())).ms).toBeLessThan(1000);
      expect(redis.errors.length).toBeGreaterThan(0);

      await server.restart();
      await redis.waitUntilReady();
      // Nothing was saved: the restarted Redis is empty.
      await expect(store.get(key)).resolves.toBeUndefined();
      await store.set(key, 'after', 60_000);
      await expect(store.get(key)).resolves.toBe('after');
      await expect(store.setIfAbsent(freshKey(kind), 'lease', 1000)).resolves.toBe(true);
      await expect(store.deleteIfEquals(key, 'after')).resolves.toBe(true);
    },
  );

  it('while Redis is frozen (no answer on an open connection), operations reject after operationTimeoutMs', async () => {
    const timed = redisStore(redis.client as RedisClientLike, { operationTimeoutMs: 200 });
    const key = freshKey(kind);
    await timed.set(key, 'v', 60_000);
    server.pause();
    for (const [name, operation] of everyOperation(timed, kind)) {
      const { ms, error } = await rejection(operation());
      expect({ name, ms: ms >= 150 && ms < 700 }).toEqual({ name, ms: true });
      expect(error.message).toMatch(/got no reply within 200 ms/);
    }
    server.resume();
    await expect(timed.get(key)).resolves.toBe('v');
  });

  it('with the client defaults (an offline queue), operations still reject within operationTimeoutMs while Redis is down', async () => {
    const app = await clients.connect(kind, server.url, { appDefaults: true });
    const timed = redisStore(app.client as RedisClientLike, { operationTimeoutMs: 300 });
    await server.stop();
    await sleep(50);
    for (const [name, operation] of everyOperation(timed, kind)) {
      const { ms } = await rejection(operation());
      expect({ name, ms: ms < 1000 }).toEqual({ name, ms: true });
    }
    await server.restart();
    await app.waitUntilReady();
    const key = freshKey(kind);
    await timed.set(key, 'back', 60_000);
    await expect(timed.get(key)).resolves.toBe('back');
  });

  if (isNodeRedis) {
    it('gives a node-redis client without an error listener a harmless one, so Redis going away does not crash the process', async () => {
      const bare = await clients.connect(kind, server.url, { errorListener: false });
      const emitter = bare.client as { listenerCount(event: string): number };
      expect(emitter.listenerCount('error')).toBe(0);
      const bareStore = redisStore(bare.client as RedisClientLike);
      redisStore(bare.client as RedisClientLike);
      expect(emitter.listenerCount('error')).toBe(1);
      // A client that has a listener gets none of the store's.
      expect((redis.client as typeof emitter).listenerCount('error')).toBe(1);

      await server.kill();
      await expect(bareStore.get(freshKey(kind))).rejects.toThrow();
      await sleep(300); // several failed reconnection attempts, each an 'error' event
      await server.restart();
      await bare.waitUntilReady();
      await expect(bareStore.get(freshKey(kind))).resolves.toBeUndefined();
    });

    it('gets strings even from a client whose type mapping returns Buffers', async () => {
      const buffers = await clients.connect(kind, server.url, {
        extra: { commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer } } },
      });
      expect(Buffer.isBuffer(await buffers.command('PING'))).toBe(true);
      const bufferStore = redisStore(buffers.client as RedisClientLike);
      const key = freshKey(kind);
      await bufferStore.set(key, 'Ünïcødé.v1', 60_000);
      await expect(bufferStore.get(key)).resolves.toBe('Ünïcødé.v1');
      await expect(bufferStore.setIfAbsent(key, 'other', 60_000)).resolves.toBe(false);
      await expect(bufferStore.deleteIfEquals(key, 'Ünïcødé.v1')).resolves.toBe(true);
    });
  } else {
    it("applies the ioredis client's keyPrefix to every operation, the compare-and-delete script included", async () => {
      const prefixed = await clients.connect(kind, server.url, { extra: { keyPrefix: 'app:' } });
      const prefixedStore = redisStore(prefixed.client as RedisClientLike);
      const key = freshKey(kind);
      await prefixedStore.set(key, 'v', 60_000);
      await expect(store.get(`app:${key}`)).resolves.toBe('v');
      await expect(prefixedStore.setIfAbsent(key, 'w', 60_000)).resolves.toBe(false);
      await expect(prefixedStore.deleteIfEquals(key, 'v')).resolves.toBe(true);
      await expect(store.get(`app:${key}`)).resolves.toBeUndefined();
    });
  }

  it('the store shows neither the client nor the encryption key when inspected or serialized', () => {
    const key = Buffer.alloc(32, 7);
    const shown = redisStore(redis.client as RedisClientLike, { encryptionKey: key, keyPrefix: 'svc:' });
    const inspected = inspect(shown, { depth: 10, showHidden: true });
    const json = JSON.stringify(shown);
    for (const text of [inspected, json]) {
      expect(text).not.toContain(String(server.port));
      expect(text).not.toContain(key.toString('base64'));
      expect(text).not.toMatch(/7, 7, 7|sendCommand|call/);
    }
    expect(json).toBe('{"settings":{"keyPrefix":"svc:"}}');
    expect(Object.keys(shown)).toEqual(['settings']);
  });
});

describe('redisStore with a client that misbehaves', () => {
  /** A node-redis-like client answering every command with `reply`. */
  const answering = (reply: (args: string[]) => unknown) =>
    ({ sendCommand: (args: string[]) => reply(args) }) as unknown as RedisClientLike;

  it.each<[string, unknown]>([
    ['a number', 42],
    ['an array', ['a', 'b']],
    ['an object', { value: 'x' }],
    ['a boolean', true],
    ['nothing', undefined],
  ])('rejects GET answered with %s, and says so', async (description, reply) => {
    await expect(redisStore(answering(() => Promise.resolve(reply))).get('k')).rejects.toThrow(
      new RegExp(`^GET answered ${description}, expected a string or nil$`),
    );
  });

  it.each<[string, unknown, string]>([
    ['another status', 'QUEUED', 'a string of 6 characters'],
    ['nil', null, 'an object'],
    ['a number', 1, 'a number'],
    ['bytes that are not OK', Buffer.from('NOPE'), '4 bytes'],
  ])('rejects SET answered with %s, and says what it was without its content', async (_, reply, description) => {
    await expect(redisStore(answering(() => Promise.resolve(reply))).set('k', 'v', 100)).rejects.toThrow(
      new RegExp(`^SET answered ${description}, expected OK$`),
    );
  });

  it.each<[string, unknown]>([
    ['another status', 'NOPE'],
    ['a number', 1],
  ])('rejects SET NX answered with %s', async (_, reply) => {
    await expect(redisStore(answering(() => Promise.resolve(reply))).setIfAbsent('k', 'v', 100)).rejects.toThrow(
      /^SET NX answered .*, expected OK or nil$/,
    );
  });

  it.each<[string, unknown]>([
    ['2', 2],
    ['a string', '1'],
    ['nil', null],
  ])('rejects EVAL answered with %s', async (_, reply) => {
    await expect(redisStore(answering(() => Promise.resolve(reply))).deleteIfEquals('k', 'v')).rejects.toThrow(
      /^EVAL answered .*, expected the integer 1 or 0$/,
    );
  });

  it('does not show the content of an unexpected reply', async () => {
    const error = await rejection(redisStore(answering(() => Promise.resolve('secret-looking-text'))).set('k', 'v', 100));
    expect(error.error.message).toBe('SET answered a string of 19 characters, expected OK');
  });

  it('accepts Buffers, and BigInt integers, as a client may decode them', async () => {
    const replies: Record<string, unknown> = { GET: Buffer.from('vä'), SET: Buffer.from('OK'), EVAL: 1n };
    const store = redisStore(answering((args) => Promise.resolve(replies[args[0]])));
    await expect(store.get('k')).resolves.toBe('vä');
    await expect(store.set('k', 'v', 100)).resolves.toBeUndefined();
    await expect(store.setIfAbsent('k', 'v', 100)).resolves.toBe(true);
    await expect(store.deleteIfEquals('k', 'v')).resolves.toBe(true);
    replies.EVAL = 0n;
    await expect(store.deleteIfEquals('k', 'v')).resolves.toBe(false);
  });

  it('adds an error listener only to a client that has both on and listenerCount, once, and only if it has none', () => {
    const sendCommand = () => Promise.resolve(null);
    const onOnly = { sendCommand, on: jest.fn() };
    const countOnly = { sendCommand, listenerCount: jest.fn(() => 0) };
    redisStore(onOnly);
    redisStore(countOnly);
    expect(onOnly.on).not.toHaveBeenCalled();
    expect(countOnly.listenerCount).not.toHaveBeenCalled();
    const listening = { sendCommand, on: jest.fn(), listenerCount: jest.fn(() => 1) };
    redisStore(listening);
    expect(listening.on).not.toHaveBeenCalled();
    const bare = { sendCommand, on: jest.fn(), listenerCount: jest.fn(() => 0) };
    redisStore(bare);
    redisStore(bare);
    expect(bare.on).toHaveBeenCalledTimes(1);
    expect(bare.on).toHaveBeenCalledWith('error', expect.any(Function));
  });

  it('accepts any thenable the client returns, as await does', async () => {
    const thenableFunction = Object.assign(() => undefined, { then: (resolve: (value: unknown) => void) => resolve('x') });
    await expect(redisStore(answering(() => thenableFunction)).get('k')).resolves.toBe('x');
  });

  it('rejects when the client throws, without the arguments the client put on its error', async () => {
    const failing = answering((args) => {
      throw Object.assign(new Error('ERR something broke'), { code: 'ERR', command: { name: args[0], args } });
    });
    const { error } = await rejection(redisStore(failing).set('k', 'sealed-token-value', 100));
    expect(error.message).toBe('SET failed: Error: ERR something broke');
    expect((error as Error & { code?: string }).code).toBe('ERR');
    expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain('sealed-token-value');
  });

  it.each<[string, unknown]>([
    ['nothing', undefined],
    ['null', null],
    ['an object without then', {}],
    ['a function without then', () => undefined],
  ])('rejects when the client returns no promise (callback style): %s', async (_, returned) => {
    await expect(redisStore(answering(() => returned)).get('k')).rejects.toThrow(
      /^GET failed: Error: the client returned no promise \(a callback-style or legacy-mode client\?\)$/,
    );
  });

  it.each<[string, unknown, string]>([
    ['an Error without a message', new Error(''), 'GET failed: Error'],
    ['a TypeError', new TypeError('socket closed'), 'GET failed: TypeError: socket closed'],
    ['a string', 'connection lost', 'GET failed: Error: connection lost'],
    ['null', null, 'GET failed: Error: null'],
  ])('a client rejecting with %s: the store names it', async (_, reason, message) => {
    // A fresh copy: the error's name is set when its class is made.
    const fresh = freshRedis().redis.redisStore;
    const { error } = await rejection(fresh(answering(() => Promise.reject(reason))).get('k'));
    expect(error.name).toBe('RedisStoreError');
    expect(error.message).toBe(message);
    expect('code' in error).toBe(false);
  });

  it('keeps the code of a client error only when it is a string', async () => {
    const withCode = (code: unknown) => answering(() => Promise.reject(Object.assign(new Error('refused'), { code })));
    expect((await rejection(redisStore(withCode('ECONNREFUSED')).get('k'))).error).toMatchObject({ code: 'ECONNREFUSED' });
    expect('code' in (await rejection(redisStore(withCode(111)).get('k'))).error).toBe(false);
  });

  it('rejects an operation the client never answers after operationTimeoutMs, and keeps nothing alive', async () => {
    const never = answering(() => new Promise(() => undefined));
    const { ms, error } = await rejection(redisStore(never, { operationTimeoutMs: 100 }).get('k'));
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThan(600);
    expect(error.message).toBe('GET got no reply within 100 ms');
    const { ms: defaultMs } = await rejection(redisStore(never).deleteIfEquals('k', 'v'));
    expect(defaultMs).toBeGreaterThanOrEqual(240);
    expect(defaultMs).toBeLessThan(1000);
  });

  it('sends exactly the documented commands, and the node-redis offline-queue timeout and a plain type mapping', async () => {
    const sent: [string[], unknown][] = [];
    const client = {
      sendCommand: (args: string[], options: unknown) => {
        sent.push([args, options]);
        return Promise.resolve(args[0] === 'GET' ? null : args[0] === 'EVAL' ? 0 : 'OK');
      },
    };
    const store = freshRedis().redis.redisStore(client, { operationTimeoutMs: 300 });
    await store.get('k');
    await store.set('k', 'v', 1000);
    await store.setIfAbsent('k', 'v', 99.1);
    await store.deleteIfEquals('k', 'v');
    expect(sent.map(([args]) => args)).toEqual([
      ['GET', 'k'],
      ['SET', 'k', 'v', 'PX', '1000'],
      ['SET', 'k', 'v', 'PX', '100', 'NX'],
      ['EVAL', "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", '1', 'k', 'v'],
    ]);
    for (const [, options] of sent) expect(options).toEqual({ abortSignal: expect.any(AbortSignal) as unknown, typeMapping: {} });
  });

  it('sends ioredis the same commands through call', async () => {
    const sent: string[][] = [];
    const client = {
      call: (...args: string[]) => {
        sent.push(args);
        return Promise.resolve(args[0] === 'GET' ? 'x' : args[0] === 'EVAL' ? 1 : null);
      },
      // ioredis has one too, taking a Command object: call must win.
      sendCommand: () => Promise.reject(new Error('not this one')),
    };
    const store = redisStore(client);
    await expect(store.get('k')).resolves.toBe('x');
    await expect(store.setIfAbsent('k', 'v', 5)).resolves.toBe(false);
    await expect(store.deleteIfEquals('k', 'v')).resolves.toBe(true);
    expect(sent).toEqual([
      ['GET', 'k'],
      ['SET', 'k', 'v', 'PX', '5', 'NX'],
      ['EVAL', expect.any(String), '1', 'k', 'v'],
    ]);
  });

  it('rejects keys and values that are not strings, naming which', async () => {
    const store = redisStore(answering(() => Promise.resolve('OK')));
    const notString = 1 as unknown as string;
    await expect(store.get(notString)).rejects.toThrow('the key must be a string; got 1');
    await expect(store.set(notString, 'v', 100)).rejects.toThrow('the key must be a string; got 1');
    await expect(store.set('k', undefined as unknown as string, 100)).rejects.toThrow('the value must be a string; got undefined');
    await expect(store.setIfAbsent(notString, 'v', 100)).rejects.toThrow('the key must be a string; got 1');
    await expect(store.setIfAbsent('k', notString, 100)).rejects.toThrow('the value must be a string; got 1');
    await expect(store.deleteIfEquals(notString, 'v')).rejects.toThrow('the key must be a string; got 1');
    await expect(store.deleteIfEquals('k', null as unknown as string)).rejects.toThrow('the expected must be a string; got null');
  });
});

describe('redisStore validation', () => {
  it('takes the clients as their own types declare them, without a cast (checked by the compiler)', () => {
    const accepts = (clients: {
      redis6: ReturnType<typeof createClient6>;
      redis5: ReturnType<typeof createClient5>;
      pool: ReturnType<typeof createClientPool>;
      ioredis6: IORedis6;
      ioredis5: IORedis5;
      cluster: IORedisCluster;
    }) => Object.values(clients).map((client) => redisStore(client));
    expect(typeof accepts).toBe('function');
  });

  const client = { sendCommand: () => Promise.resolve(null) } as unknown as RedisClientLike;

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['a URL', 'redis://127.0.0.1:6379'],
    ['a factory function (createClient itself)', () => ({})],
    ['the redis module', { createClient: () => ({}), createCluster: () => ({}) }],
    ['an object with a non-function sendCommand', { sendCommand: 'GET' }],
  ])('refuses %s as the client, naming what it expects', (_, value) => {
    const error = invalidOptionsErrorOf(() => redisStore(value as RedisClientLike));
    expect(error.option).toBe('store');
    expect(error.message).toMatch(/expected a connected Redis client: node-redis \(redis 5 or 6.*\) or ioredis \(5 or 6/);
  });

  it.each<[string, Record<string, unknown>]>([
    ['cluster', { sendCommand: () => Promise.resolve(), getSlotMaster: () => ({}) }],
    ['sentinel', { sendCommand: () => Promise.resolve(), getMasterNode: () => ({}) }],
  ])('refuses a node-redis %s client, whose sendCommand takes routing arguments first', (_, value) => {
    const error = freshRefusal((store) => store(value as unknown as RedisClientLike));
    expect(error.option).toBe('store');
    expect(error.message).toMatch(/cluster and sentinel clients are not supported/);
  });

  it('refuses settings that are not an object', () => {
    expect(invalidOptionsErrorOf(() => redisStore(client, 'oauth2:' as never))).toMatchObject({
      option: 'store',
      message: 'Invalid option "store": expected the settings as an object; got "oauth2:"',
    });
    expect(invalidOptionsErrorOf(() => redisStore(client, null as never)).option).toBe('store');
  });

  const key32 = Buffer.alloc(32, 0xab);

  // Its base64 holds the characters only one alphabet has: + and / in the standard one, - and _ in the URL-safe one.
  const keyOfBothAlphabets = Buffer.alloc(32, 0xfb);

  it.each<[string, Uint8Array | string, Buffer]>([
    ['a Buffer', key32, key32],
    ['a Uint8Array', new Uint8Array(key32), key32],
    ['base64', key32.toString('base64'), key32],
    ['base64 without padding', key32.toString('base64').replace(/=$/, ''), key32],
    ['base64url', key32.toString('base64url'), key32],
    ['base64 with + and /', keyOfBothAlphabets.toString('base64'), keyOfBothAlphabets],
    ['base64url with - and _', keyOfBothAlphabets.toString('base64url'), keyOfBothAlphabets],
  ])('takes an encryption key as %s, keeping a copy of its bytes', (_, encryptionKey, bytes) => {
    const store = freshRedis().redis.redisStore(client, { encryptionKey });
    const kept = store.settings!.encryptionKey as Uint8Array;
    expect(kept).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(kept).equals(bytes)).toBe(true);
    if (encryptionKey instanceof Uint8Array) {
      expect(kept).not.toBe(encryptionKey);
      encryptionKey[0] = 0;
      expect(kept[0]).toBe(0xab);
      encryptionKey[0] = 0xab;
    }
    expect(Object.keys(store.settings!)).not.toContain('encryptionKey');
  });

  it.each<[string, unknown]>([
    ['31 bytes', Buffer.alloc(31)],
    ['33 bytes', new Uint8Array(33)],
    ['base64 of 31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['hex of 32 bytes', key32.toString('hex')],
    ['a passphrase', 'correct horse battery staple'],
    ['base64 with a newline', `${key32.toString('base64')}\n`],
    // Node's base64 decoder skips what is not base64: these would decode to 32 bytes.
    ['base64 after other text', `!${key32.toString('base64')}`],
    [
      'base64 mixing both alphabets',
      `${keyOfBothAlphabets.toString('base64').slice(0, 2)}-_${keyOfBothAlphabets.toString('base64').slice(4)}`,
    ],
    ['an empty string', ''],
    ['a number', 42],
    ['an array of 32 numbers', Array.from({ length: 32 }, () => 1)],
    ['an object whose text is a valid key', { toString: () => key32.toString('base64') }],
  ])('refuses an encryption key that is %s, without showing it', (_, encryptionKey) => {
    const error = freshRefusal((store) => store(client, { encryptionKey: encryptionKey as string }));
    expect(error.option).toBe('store.encryptionKey');
    expect(error.message).toMatch(/expected 32 bytes, as a Buffer\/Uint8Array or a base64 string/);
    if (typeof encryptionKey === 'string' && encryptionKey !== '') expect(error.message).not.toContain(encryptionKey.trim());
  });

  it.each<[unknown, string]>([
    [Buffer.alloc(31), '31 bytes'],
    ['c2hvcnQ=', 'a string of 8 characters that is not base64 of 32 bytes'],
    [42, '42'],
    [{}, 'an object'],
  ])('says what a refused encryption key was, by its size or type: %p', (encryptionKey, description) => {
    const error = freshRefusal((store) => store(client, { encryptionKey: encryptionKey as string }));
    expect(error.message).toMatch(new RegExp(`; got ${description}$`));
  });

  it.each<[string, unknown]>([
    ['keyPrefix', ''],
    ['keyPrefix', 5],
    ['keyPrefix', null],
    ['leaseTtlMs', 0],
    ['leaseTtlMs', -1],
    ['leaseTtlMs', 1.5],
    ['leaseTtlMs', Number.NaN],
    ['pollIntervalMs', '50'],
    ['pollIntervalMs', Number.POSITIVE_INFINITY],
    ['operationTimeoutMs', 0],
    ['operationTimeoutMs', 2 ** 31],
    ['operationTimeoutMs', null],
  ])('refuses %s = %p', (name, value) => {
    const error = invalidOptionsErrorOf(() => redisStore(client, { [name]: value }));
    expect(error.option).toBe(`store.${name}`);
  });

  it('says what each setting expects', () => {
    expect(invalidOptionsErrorOf(() => redisStore(client, { keyPrefix: 5 as never })).message).toBe(
      'Invalid option "store.keyPrefix": expected a non-empty string; got 5',
    );
    expect(invalidOptionsErrorOf(() => redisStore(client, { pollIntervalMs: 0 })).message).toBe(
      'Invalid option "store.pollIntervalMs": expected a positive integer number of milliseconds (at most 2147483647); got 0',
    );
  });

  it("takes the longest delay of Node's timers as a setting, and a TTL up to the largest safe integer", async () => {
    const longest = 2_147_483_647;
    const settings = { leaseTtlMs: longest, pollIntervalMs: longest, operationTimeoutMs: longest };
    expect(redisStore(client, settings).settings).toEqual(settings);
    const sent: string[][] = [];
    const store = redisStore({
      sendCommand: (args: string[]) => {
        sent.push(args);
        return Promise.resolve('OK');
      },
    });
    await store.set('k', 'v', Number.MAX_SAFE_INTEGER);
    expect(sent).toEqual([['SET', 'k', 'v', 'PX', String(Number.MAX_SAFE_INTEGER)]]);
  });

  it('keeps valid settings, frozen; none is required', () => {
    const settings = { keyPrefix: 'billing:', leaseTtlMs: 15_000, pollIntervalMs: 25, operationTimeoutMs: 400 };
    const store = redisStore(client, settings);
    expect(store.settings).toEqual(settings);
    expect(store.settings).not.toBe(settings);
    expect(Object.isFrozen(store.settings)).toBe(true);
    expect(redisStore(client).settings).toEqual({});
  });
});
