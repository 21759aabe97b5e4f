'use strict';
/**
 * One process of a fleet, for fleet.test.ts: plain Node (no TypeScript, so it starts
 * fast) running the BUILT package (dist/index.js, CommonJS) with a real Redis client of
 * the kind the parent names, one axios instance authorized with `store: redisStore(...)`.
 *
 * The parent (support/fleet.ts) forks it with the settings as JSON in FLEET_MEMBER_CONFIG
 * and talks to it over IPC:
 *   parent → member  { id, command: 'burst', n, path }    n concurrent GETs
 *                    { id, command: 'loop', ms, concurrency, pauseMs, path }
 *                    { id, command: 'invalidate' }
 *                    { id, command: 'quit' }              closes the client, exits 0
 *   member → parent  { type: 'ready', pid }
 *                    { type: 'reply', id, result } / { type: 'reply', id, error }
 *                    { type: 'event', name, fields, at }  the handle's events, as they happen
 * It exits by itself when the parent goes away (the IPC channel closes).
 */
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

// Types for the linter only (JSDoc): the API of lib/ is the one dist/ was built from.
/** @typedef {import('./fleet').MemberCommand & { id: number }} Command */
/** @typedef {import('./fleet').RequestsReport} RequestsReport */
/** @typedef {import('./fleet').MemberRedisSettings} RedisSettings */
/** @typedef {{ root?: string, redis: RedisSettings, apiUrl: string, oauth2: Record<string, unknown>, store: import('../../lib').TokenStoreSettings }} MemberConfig */
/** @typedef {{ client: import('../../lib').RedisClientLike, connected: Promise<unknown>, close: () => unknown }} ConnectedClient */
/** @typedef {{ commands: number, failedCommands: number, commandMaxMs: number }} CommandStats */
/** @typedef {{ ok: true, status: number, ms: number, startedAt: number } | { ok: false, code: string, ms: number, startedAt: number }} Outcome */
/** @typedef {{ on(event: string, listener: (...args: unknown[]) => void): unknown }} Emitter */

/** @type {unknown} */
const parsed = JSON.parse(process.env.FLEET_MEMBER_CONFIG ?? '{}');
const config = /** @type {MemberConfig} */ (parsed);
const root = config.root ?? path.resolve(__dirname, '..', '..');
/**
 * A module as the project resolves it (not from this folder's point of view: the same copies the tests use).
 * @param {string} name
 * @returns {unknown}
 */
const load = (name) => require(require.resolve(name, { paths: [root] }));
// FLEET_PACKAGE: another build of the package to run the fleet against (e.g. to try a change); default the project's dist.
const { oauth2, redisStore } = /** @type {typeof import('../../lib')} */ (
  load(process.env.FLEET_PACKAGE ?? path.join(root, 'dist/index.js'))
);
const axios = /** @type {import('axios').AxiosStatic} */ (load('axios'));

/** @type {import('../../lib').OAuth2EventName[]} Events forwarded to the parent (their fields carry no credential: see the events' docs). */
const FORWARDED = [
  'token:attempt',
  'token:attempt-failed',
  'token:issued',
  'token:failed',
  'token:invalidated',
  'store:unavailable',
  'store:available',
];

process.on('disconnect', () => process.exit(0));

/**
 * @param {object} message
 * @param {() => void} [then]
 */
function send(message, then = () => {}) {
  if (process.send && process.connected) process.send(message, undefined, undefined, then);
  else then();
}

/**
 * The Redis client an app would have, made from the parent's JSON settings (no functions cross IPC).
 * @param {RedisSettings} settings
 * @returns {ConnectedClient}
 */
function connectClient({ kind, url, reconnectDelayMs = 50, connectTimeoutMs = 1000, offlineQueue = false }) {
  if (kind === 'redis@6' || kind === 'redis@5') {
    const { createClient } = /** @type {typeof import('redis')} */ (load(kind === 'redis@6' ? 'redis' : 'redis-5'));
    const client = createClient({
      url,
      ...(offlineQueue ? {} : { disableOfflineQueue: true }),
      socket: { reconnectStrategy: reconnectDelayMs, connectTimeout: connectTimeoutMs },
    });
    // An app listens for its client's errors; without it, node-redis's are uncaught exceptions.
    client.on('error', () => {});
    return {
      client: /** @type {import('../../lib').RedisClientLike} */ (/** @type {unknown} */ (client)),
      connected: client.connect(),
      close: () => (client.isOpen ? client.destroy() : undefined),
    };
  }
  const Redis = /** @type {typeof import('ioredis').default} */ (load(kind === 'ioredis@6' ? 'ioredis' : 'ioredis-5'));
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    retryStrategy: () => reconnectDelayMs,
    ...(offlineQueue ? {} : { enableOfflineQueue: false, maxRetriesPerRequest: 0 }),
  });
  client.on('error', () => {});
  return {
    client: /** @type {import('../../lib').RedisClientLike} */ (/** @type {unknown} */ (client)),
    connected: client.connect(),
    close: () => {
      client.disconnect();
    },
  };
}

/**
 * What a failed request is reported as: its code or status only, never its message or config (they may hold a token).
 * @param {unknown} error
 * @returns {string}
 */
function codeOf(error) {
  if (axios.isAxiosError(error)) return error.response ? `HTTP_${error.response.status}` : (error.code ?? error.name);
  return error instanceof Error ? error.name : 'UNKNOWN';
}

/**
 * @param {Record<string, number>} into
 * @param {string | number} key
 */
function tally(into, key) {
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * Times every command the store sends through the client, as an app's instrumentation
 * would (wrapping the client's own method), for the figures the parent prints: how long
 * Redis commands took as this process saw them, event-loop stalls included.
 * @param {import('../../lib').RedisClientLike} client
 * @param {() => CommandStats} currentStats
 */
function timeCommands(client, currentStats) {
  const methods = /** @type {Partial<Record<string, (...args: unknown[]) => unknown>>} */ (/** @type {unknown} */ (client));
  const name = 'call' in client ? 'call' : 'sendCommand';
  const original = methods[name];
  if (original === undefined) return;
  methods[name] = (...args) => {
    const started = performance.now();
    const pending = original.apply(client, args);
    const stats = currentStats();
    /** @param {boolean} ok */
    const settle = (ok) => {
      stats.commands++;
      if (!ok) stats.failedCommands++;
      stats.commandMaxMs = Math.max(stats.commandMaxMs, performance.now() - started);
    };
    if (pending instanceof Promise)
      pending.then(
        () => settle(true),
        () => settle(false),
      );
    return pending;
  };
}

/** @returns {CommandStats} */
function freshStats() {
  return { commands: 0, failedCommands: 0, commandMaxMs: 0 };
}

async function main() {
  const redis = connectClient(config.redis);
  await redis.connected;
  let stats = freshStats();
  timeCommands(redis.client, () => stats);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  /** Starts the figures of one command afresh. */
  const resetFigures = () => {
    stats = freshStats();
    loopDelay.reset();
  };
  const figures = () => ({
    redisCommands: stats.commands,
    redisCommandsFailed: stats.failedCommands,
    redisCommandMaxMs: Math.round(stats.commandMaxMs),
    eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
  });
  const api = axios.create({ baseURL: config.apiUrl });
  const options = /** @type {import('../../lib').OAuth2Options} */ ({ ...config.oauth2, store: redisStore(redis.client, config.store) });
  const handle = oauth2(api, options);
  for (const name of FORWARDED) {
    handle.on(name, (event) => {
      /** @type {Record<string, unknown>} */
      const fields = { ...event };
      delete fields.tokenEndpoint;
      send({ type: 'event', name, fields, at: Date.now() });
    });
  }

  /**
   * One GET, timed.
   * @param {string} url
   * @returns {Promise<Outcome>}
   */
  async function request(url) {
    const started = performance.now();
    const startedAt = Date.now();
    try {
      const response = await api.get(url);
      return { ok: true, status: response.status, ms: performance.now() - started, startedAt };
    } catch (error) {
      return { ok: false, code: codeOf(error), ms: performance.now() - started, startedAt };
    }
  }

  /**
   * @param {Outcome[]} outcomes
   * @param {number | undefined} slowMs
   * @returns {RequestsReport}
   */
  function summarize(outcomes, slowMs) {
    /** @type {RequestsReport} */
    const result = { ok: 0, failed: 0, statuses: {}, errors: {}, maxMs: 0, slow: [], ...figures() };
    for (const outcome of outcomes) {
      if (outcome.ok) {
        result.ok++;
        tally(result.statuses, outcome.status);
      } else {
        result.failed++;
        tally(result.errors, outcome.code);
      }
      result.maxMs = Math.max(result.maxMs, outcome.ms);
      if (slowMs !== undefined && outcome.ms >= slowMs) result.slow.push({ startedAt: outcome.startedAt, ms: Math.round(outcome.ms) });
    }
    result.maxMs = Math.round(result.maxMs);
    return result;
  }

  /**
   * @param {Command} command
   * @returns {Promise<object>}
   */
  async function run(command) {
    switch (command.command) {
      case 'burst': {
        resetFigures();
        const base = command.path ?? '/burst';
        const outcomes = await Promise.all(Array.from({ length: command.n }, (_, i) => request(`${base}/${i}`)));
        return summarize(outcomes, command.slowMs);
      }
      case 'loop': {
        resetFigures();
        const { ms, concurrency = 2, pauseMs = 0, path: base = '/loop' } = command;
        const until = performance.now() + ms;
        /** @type {Outcome[]} */
        const outcomes = [];
        /** @param {number} w */
        const worker = async (w) => {
          for (let i = 0; performance.now() < until; i++) {
            outcomes.push(await request(`${base}/${w}/${i}`));
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        };
        await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
        return summarize(outcomes, command.slowMs);
      }
      case 'invalidate':
        handle.invalidate();
        return {};
      case 'quit':
        await redis.close();
        return {};
    }
  }

  process.on('message', (/** @type {Command} */ message) => {
    run(message).then(
      (result) => {
        // After quit, the reply is the last word: once it is out, the process exits.
        send({ type: 'reply', id: message.id, result }, message.command === 'quit' ? () => process.exit(0) : undefined);
      },
      (/** @type {unknown} */ error) => {
        send({ type: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) });
      },
    );
  });
  send({ type: 'ready', pid: process.pid });
}

main().catch((/** @type {unknown} */ error) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
