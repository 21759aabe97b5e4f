import { createClient as createClient6 } from 'redis';
import { createClient as createClient5 } from 'redis-5';
import IORedis6 from 'ioredis';
import IORedis5 from 'ioredis-5';

/** The Redis clients the store supports, each at the majors the tests run against. */
export const REDIS_CLIENT_KINDS = ['redis@6', 'redis@5', 'ioredis@6', 'ioredis@5'] as const;
export type RedisClientKind = (typeof REDIS_CLIENT_KINDS)[number];

export interface TestRedisClient {
  readonly kind: RedisClientKind;
  /** The client itself, as an app would pass it to `redisStore()`. */
  readonly client: unknown;
  /** Sends a raw command through the client (for checks such as PTTL), whatever its kind. */
  command(...args: string[]): Promise<unknown>;
  /** Whether the client is connected and ready for commands. */
  readonly ready: boolean;
  /** Waits (up to `timeoutMs`) until the client has reconnected and answers PING. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Every 'error' event the client emitted. */
  readonly errors: Error[];
  /** The connection events the client emitted, in order ('ready', 'end', 'reconnecting', ...). */
  readonly events: string[];
}

export interface ConnectOptions {
  /**
   * The client's own defaults for what happens to commands while it is disconnected
   * (an offline queue that holds them until it reconnects), as an app would most likely
   * have it. Off by default: commands then fail at once while Redis is down.
   */
  appDefaults?: boolean;
  /**
   * Attach an 'error' listener (default true). Without one, node-redis's error events
   * are uncaught exceptions unless the store attached its own.
   */
  errorListener?: boolean;
  /** More options for the client's constructor (node-redis `createClient()` or `new Redis()`). */
  extra?: Record<string, unknown>;
}

/** Reconnect quickly, so tests of an outage and its end stay short. */
const RECONNECT_DELAY_MS = 50;
const CONNECT_TIMEOUT_MS = 1000;

/**
 * Makes connected clients of each kind and closes them all: call `closeAll()` after the
 * tests (or use `useRedisClients()`), so no socket or reconnect timer is left open.
 */
export class RedisClients {
  readonly #closers: (() => Promise<void>)[] = [];

  async connect(kind: RedisClientKind, url: string, options: ConnectOptions = {}): Promise<TestRedisClient> {
    const made = kind.startsWith('ioredis') ? connectIORedis(kind, url, options) : connectNodeRedis(kind, url, options);
    this.#closers.push(() => made.close());
    await made.opened;
    return made.client;
  }

  async closeAll(): Promise<void> {
    const closers = this.#closers.splice(0);
    await Promise.all(closers.map((close) => close()));
  }
}

/** A RedisClients closed after each test of the enclosing describe. */
export function useRedisClients(): RedisClients {
  const clients = new RedisClients();
  afterEach(() => clients.closeAll());
  return clients;
}

interface Made {
  client: TestRedisClient;
  opened: Promise<unknown>;
  close(): Promise<void>;
}

/** What the tests use of a node-redis client, the same in redis 5 and 6. */
interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  destroy(): void;
  readonly isOpen: boolean;
  readonly isReady: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the clients type their listeners' arguments
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** What the tests use of an ioredis client, the same in ioredis 5 and 6. */
interface IORedisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  disconnect(): void;
  readonly status: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the clients type their listeners' arguments
  on(event: string, listener: (...args: any[]) => void): unknown;
}

interface Recorder {
  errors: Error[];
  events: string[];
}

function record(emitter: Pick<NodeRedisClient, 'on'>, names: string[], recorder: Recorder, errorListener: boolean): void {
  for (const name of names) emitter.on(name, () => recorder.events.push(name));
  if (errorListener) emitter.on('error', (error: Error) => recorder.errors.push(error));
}

function connectNodeRedis(
  kind: RedisClientKind,
  url: string,
  { appDefaults = false, errorListener = true, extra = {} }: ConnectOptions,
): Made {
  const options = {
    ...extra,
    url,
    ...(appDefaults ? {} : { disableOfflineQueue: true }),
    socket: { reconnectStrategy: RECONNECT_DELAY_MS, connectTimeout: CONNECT_TIMEOUT_MS },
  };
  const client: NodeRedisClient = kind === 'redis@6' ? createClient6(options) : createClient5(options);
  const recorder: Recorder = { errors: [], events: [] };
  record(client, ['connect', 'ready', 'end', 'reconnecting'], recorder, errorListener);
  const test: TestRedisClient = {
    kind,
    client,
    command: (...args) => client.sendCommand(args),
    get ready() {
      return client.isReady;
    },
    waitUntilReady: (timeoutMs) => waitUntilReady(test, timeoutMs),
    ...recorder,
  };
  return {
    client: test,
    opened: client.connect(),
    close: () => {
      if (client.isOpen) client.destroy();
      return Promise.resolve();
    },
  };
}

function connectIORedis(
  kind: RedisClientKind,
  url: string,
  { appDefaults = false, errorListener = true, extra = {} }: ConnectOptions,
): Made {
  const options = {
    ...extra,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: () => RECONNECT_DELAY_MS,
    // Without these, a command sent while Redis is down waits in the offline queue through
    // up to 20 reconnection attempts (ioredis 5: about 10 s; 6: over a minute) before it fails.
    ...(appDefaults ? {} : { enableOfflineQueue: false, maxRetriesPerRequest: 0 }),
  };
  const client: IORedisClient = kind === 'ioredis@6' ? new IORedis6(url, options) : new IORedis5(url, options);
  const recorder: Recorder = { errors: [], events: [] };
  record(client, ['connect', 'ready', 'close', 'reconnecting', 'end'], recorder, errorListener);
  const test: TestRedisClient = {
    kind,
    client,
    command: (name, ...args) => client.call(name, ...args),
    get ready() {
      return client.status === 'ready';
    },
    waitUntilReady: (timeoutMs) => waitUntilReady(test, timeoutMs),
    ...recorder,
  };
  return {
    client: test,
    opened: client.connect(),
    close: () => {
      client.disconnect();
      return Promise.resolve();
    },
  };
}

async function waitUntilReady(client: TestRedisClient, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (client.ready) {
      try {
        if ((await client.command('PING')) === 'PONG') return;
      } catch {
        // not yet
      }
    }
    if (Date.now() > deadline) throw new Error(`${client.kind} did not reconnect within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
