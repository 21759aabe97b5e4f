/** The measurements of the benchmark; each returns raw per-round figures, report.ts summarizes. */
import { fork } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { CONTENDERS, createClient, noNetworkAdapter, TOKEN_CONTENDERS, type ContenderName, type Endpoints, type Send } from './contenders';
import { collectGarbage, percentile, runBurst, runCount, runTimed, type Failures, type TimedResult } from './load';
import type { BenchServers } from './servers';
import type { Settings } from './settings';

export const CONCURRENCIES = [1, 50] as const;
export type Concurrency = (typeof CONCURRENCIES)[number];

/** One contender in one round at one concurrency. */
export interface RoundFigures extends Failures {
  rps: number;
  cpuMicrosPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

export type ThroughputRounds = Record<Concurrency, Record<ContenderName, RoundFigures[]>>;

const TOKEN_LIFETIME_SECONDS = 3600;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** `items` rotated left by `by`, so every contender takes every position across rounds. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * A keep-alive agent that closes an idle socket after 4 s, before the server's 5 s
 * keepAliveTimeout does. Node 20's agent ignores the server's `Keep-Alive: timeout=5`
 * hint unless it has a timeout of its own, and then reuses sockets the server is
 * closing (ECONNRESET) after a contender sat idle through the other contenders' runs.
 */
export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, timeout: 4_000 });
}

function endpointsOf(servers: BenchServers): Endpoints {
  return { resourceUrl: servers.resourceUrl, tokenEndpoint: servers.tokenEndpoint };
}

/** Sums of one contender's slices within a round. */
interface SliceTotals extends Failures {
  requests: number;
  wallMs: number;
  cpuMicros: number;
  latencies: Float64Array[];
}

function concatenated(parts: readonly Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/**
 * Throughput and latency over keep-alive HTTP, in interleaved rounds. Each round runs
 * every contender for a fixed number of requests at concurrency 1, then at 50, in slices
 * of `sliceAt1` and `sliceAt50` requests (tens of milliseconds each): the contenders take
 * turns slice by slice, in an order rotated per slice and per round, so that all of them
 * see the same machine within a round even when other processes come and go on its two
 * cores. One long run per contender and round would put a burst of load on one of them
 * only: tried, rounds of one run each varied 2 to 4 times as much from round to round. A
 * first round warms the JIT and the token caches and is not recorded. Each contender is
 * one long-lived client, as in an application: building clients afresh every round would
 * charge the JIT's warm-up of new closures to the contenders that have some.
 *
 * No full collection between slices (it would cost each slice the rebuilding of what it
 * threw away, which an app never sees): one before each concurrency of each round, after
 * every contender has reopened the sockets that idled out. Young-generation collections
 * fall on the contenders in proportion to what they allocate, since they take turns.
 */
export async function measureThroughput(servers: BenchServers, settings: Settings): Promise<ThroughputRounds> {
  await servers.configure(TOKEN_LIFETIME_SECONDS, 0);
  const clients = {} as Record<ContenderName, Send>;
  for (const name of CONTENDERS) {
    // One agent per client, with a socket for each concurrent request.
    clients[name] = await createClient(name, endpointsOf(servers), { agent: keepAliveAgent(Math.max(...CONCURRENCIES)) });
  }
  const rounds = { 1: emptyRounds(), 50: emptyRounds() };
  for (let round = 0; round <= settings.rounds; round++) {
    const warmup = round === 0;
    progress(warmup ? 'throughput: warm-up round' : `throughput: round ${round}/${settings.rounds}`);
    for (const concurrency of CONCURRENCIES) {
      const total = concurrency === 1 ? settings.requestsAt1 : settings.requestsAt50;
      const perSlice = Math.max(concurrency, Math.min(total, concurrency === 1 ? settings.sliceAt1 : settings.sliceAt50));
      const slices = Math.max(1, Math.round(total / perSlice));
      // Untimed: reopen the sockets that idled out while the other concurrency ran, then collect garbage.
      for (const name of CONTENDERS) await runCount(clients[name], concurrency * 4, concurrency);
      collectGarbage();
      const totals = Object.fromEntries(
        CONTENDERS.map((name) => [name, { requests: 0, wallMs: 0, cpuMicros: 0, latencies: [], failed: 0, errors: {} }]),
      ) as unknown as Record<ContenderName, SliceTotals>;
      for (let slice = 0; slice < slices; slice++) {
        for (const name of rotate(CONTENDERS, round + slice)) {
          const result = await runCount(clients[name], perSlice, concurrency);
          const sum = totals[name];
          sum.requests += result.requests;
          sum.wallMs += result.wallMs;
          sum.cpuMicros += result.cpuMicros;
          sum.latencies.push(result.latencies);
          sum.failed += result.failed;
          for (const [kind, count] of Object.entries(result.errors)) sum.errors[kind] = (sum.errors[kind] ?? 0) + count;
        }
      }
      if (warmup) continue;
      for (const name of CONTENDERS) {
        const sum = totals[name];
        const latencies = concatenated(sum.latencies);
        rounds[concurrency][name].push({
          rps: (sum.requests / sum.wallMs) * 1000,
          cpuMicrosPerRequest: sum.cpuMicros / sum.requests,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          failed: sum.failed,
          errors: sum.errors,
        });
      }
    }
  }
  return rounds;
}

function emptyRounds(): Record<ContenderName, RoundFigures[]> {
  return Object.fromEntries(CONTENDERS.map((name) => [name, []])) as unknown as Record<ContenderName, RoundFigures[]>;
}

export interface InProcessRound {
  nsPerRequest: number;
  cpuNsPerRequest: number;
}

/**
 * The cost of the client-side machinery alone: an adapter that answers at once, one
 * request at a time, interleaved rounds. What is left is axios plus the interceptors.
 */
export async function measureInProcess(servers: BenchServers, settings: Settings): Promise<Record<ContenderName, InProcessRound[]>> {
  await servers.configure(TOKEN_LIFETIME_SECONDS, 0);
  const clients = {} as Record<ContenderName, Send>;
  for (const name of CONTENDERS) clients[name] = await createClient(name, endpointsOf(servers), { adapter: noNetworkAdapter });
  const rounds = emptyRounds() as unknown as Record<ContenderName, InProcessRound[]>;
  for (let round = 0; round <= settings.noNetworkRounds; round++) {
    progress(round === 0 ? 'in-process cost: warm-up round' : `in-process cost: round ${round}/${settings.noNetworkRounds}`);
    for (const name of rotate(CONTENDERS, round)) {
      collectGarbage();
      const result = await runCount(clients[name], settings.noNetworkRequests, 1);
      if (result.failed > 0) throw new Error(`${name}: ${result.failed} in-process requests failed`);
      if (round === 0) continue;
      rounds[name].push({
        nsPerRequest: (result.wallMs * 1e6) / result.requests,
        cpuNsPerRequest: (result.cpuMicros * 1e3) / result.requests,
      });
    }
  }
  return rounds;
}

export interface BurstFigures extends Failures {
  tokenRequests: number;
  /** Resource requests answered 401 during the burst. */
  refused: number;
}

export interface BurstResults {
  cold: BurstFigures;
  afterRevoke: BurstFigures;
}

/**
 * 1,000 concurrent requests on a fresh client (cold), then, on the same client, 1,000
 * concurrent requests after every token was revoked, so each is answered 401 once.
 */
export async function measureBursts(servers: BenchServers, settings: Settings): Promise<Partial<Record<ContenderName, BurstResults>>> {
  await servers.configure(TOKEN_LIFETIME_SECONDS, settings.tokenDelayMs);
  const results: Partial<Record<ContenderName, BurstResults>> = {};
  for (const name of TOKEN_CONTENDERS) {
    progress(`bursts: ${name}`);
    const agent = keepAliveAgent(settings.burstSockets);
    const send = await createClient(name, endpointsOf(servers), { agent });
    const cold = await countedBurst(servers, name, () => runBurst(send, settings.burstSize));
    await servers.revokeAll();
    const afterRevoke = await countedBurst(servers, name, () => runBurst(send, settings.burstSize));
    results[name] = { cold, afterRevoke };
    agent.destroy();
  }
  await servers.configure(TOKEN_LIFETIME_SECONDS, 0);
  return results;
}

async function countedBurst(servers: BenchServers, name: ContenderName, burst: () => Promise<Failures>): Promise<BurstFigures> {
  const before = await servers.stats();
  const { failed, errors } = await burst();
  const after = await servers.stats();
  return {
    tokenRequests: (after.tokenRequests[name] ?? 0) - (before.tokenRequests[name] ?? 0),
    failed,
    errors,
    refused: after.refused - before.refused,
  };
}

export interface LongRunFigures extends TimedResult {
  tokenRequests: number;
  /** Requests that carried a token issued after they started, the first token excepted (counted by the resource server). */
  waitedAfterFirst: number;
}

export interface LongRunResults {
  durationSeconds: number;
  tokenSeconds: number;
  tokenDelayMs: number;
  byContender: Partial<Record<ContenderName, LongRunFigures>>;
}

/**
 * All token-fetching contenders side by side for `longRunSeconds` with short-lived
 * tokens, each on a fresh client. A request waited on a token fetch when the token it
 * carries was issued after it started: the resource server counts those exactly. The
 * token endpoint answers after tokenDelayMs, so such waits also show in the latency.
 */
export async function measureLongRun(servers: BenchServers, settings: Settings): Promise<LongRunResults> {
  await servers.configure(settings.longRunTokenSeconds, settings.tokenDelayMs);
  progress(`long run: ${settings.longRunSeconds} s with ${settings.longRunTokenSeconds} s tokens, all token-fetching contenders at once`);
  const before = await servers.stats();
  const runs = TOKEN_CONTENDERS.map(async (name) => {
    const agent = keepAliveAgent(settings.longRunConcurrency);
    const send = await createClient(name, endpointsOf(servers), { agent });
    const result = await runTimed(send, {
      durationMs: settings.longRunSeconds * 1000,
      concurrency: settings.longRunConcurrency,
      pauseMs: settings.longRunPauseMs,
    });
    agent.destroy();
    return [name, result] as const;
  });
  const finished = await Promise.all(runs);
  const after = await servers.stats();
  await servers.configure(TOKEN_LIFETIME_SECONDS, 0);
  const byContender: Partial<Record<ContenderName, LongRunFigures>> = {};
  for (const [name, result] of finished) {
    byContender[name] = {
      ...result,
      tokenRequests: (after.tokenRequests[name] ?? 0) - (before.tokenRequests[name] ?? 0),
      waitedAfterFirst: (after.waitedAfterFirst[name] ?? 0) - (before.waitedAfterFirst[name] ?? 0),
    };
  }
  return {
    durationSeconds: settings.longRunSeconds,
    tokenSeconds: settings.longRunTokenSeconds,
    tokenDelayMs: settings.tokenDelayMs,
    byContender,
  };
}

export interface HeapFigures {
  warmupRequests: number;
  requests: number;
  failed: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
}

/**
 * Heap and RSS around `heapRequests` requests through the plugin, in a fresh process
 * started with --expose-gc (so earlier scenarios leave nothing behind and gc() is real).
 */
export function measureHeap(servers: BenchServers, settings: Settings): Promise<HeapFigures> {
  progress(`heap: ${settings.heapRequests} requests through the plugin in a child process`);
  const child = fork(path.join(__dirname, 'heap-child.ts'), [], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: {
      ...process.env,
      BENCH_HEAP_JOB: JSON.stringify({
        endpoints: endpointsOf(servers),
        warmupRequests: settings.heapWarmupRequests,
        requests: settings.heapRequests,
      }),
    },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: HeapFigures) => resolve(message));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`heap child exited with code ${code} before reporting`)));
  });
}
