/** Benchmark settings: defaults for a full run (~4 min), BENCH_QUICK=1 for a smoke run (< 30 s), each overridable. */

export interface Settings {
  quick: boolean;
  /** Measured throughput rounds (after one unrecorded warm-up round). */
  rounds: number;
  /** Requests per contender per round, by concurrency. */
  requestsAt1: number;
  requestsAt50: number;
  /** In-process cost: rounds and sequential requests per contender per round. */
  noNetworkRounds: number;
  noNetworkRequests: number;
  /** Requests in the cold burst and in the 401 burst. */
  burstSize: number;
  /** Sockets of the burst clients' agents: the 1000 requests are in flight at once, the TCP connections are capped. */
  burstSockets: number;
  /** How long the token endpoint takes to answer in the burst and long-run scenarios. */
  tokenDelayMs: number;
  longRunSeconds: number;
  longRunTokenSeconds: number;
  /** Workers per contender in the long run, and each worker's pause between requests. */
  longRunConcurrency: number;
  longRunPauseMs: number;
  /**
   * Hot path of the built package (hot-path-modules.ts): measured rounds, requests per
   * client per round (in slices of 1,000, rounded), and allocation samples per client.
   */
  hotPathRounds: number;
  hotPathRequests: number;
  hotPathAllocationSamples: number;
  heapWarmupRequests: number;
  heapRequests: number;
  /** Comma-separated scenarios to run: hotpath, throughput, inprocess, bursts, longrun, heap. Default all. */
  only: ReadonlySet<string>;
}

export const SCENARIOS = ['hotpath', 'throughput', 'inprocess', 'bursts', 'longrun', 'heap'] as const;

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const number = (name: string, full: number, short: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return quick ? short : full;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    return value;
  };
  const only = (env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
  }
  return {
    quick,
    rounds: number('BENCH_ROUNDS', 11, 3),
    requestsAt1: number('BENCH_REQUESTS_C1', 2_000, 500),
    requestsAt50: number('BENCH_REQUESTS_C50', 6_000, 2_000),
    noNetworkRounds: number('BENCH_INPROCESS_ROUNDS', 9, 3),
    noNetworkRequests: number('BENCH_INPROCESS_REQUESTS', 20_000, 5_000),
    burstSize: number('BENCH_BURST', 1_000, 1_000),
    burstSockets: number('BENCH_BURST_SOCKETS', 100, 100),
    tokenDelayMs: number('BENCH_TOKEN_DELAY_MS', 50, 50),
    longRunSeconds: number('BENCH_LONG_SECONDS', 60, 8),
    longRunTokenSeconds: number('BENCH_LONG_TOKEN_SECONDS', 5, 2),
    longRunConcurrency: number('BENCH_LONG_CONCURRENCY', 2, 2),
    longRunPauseMs: number('BENCH_LONG_PAUSE_MS', 2, 2),
    hotPathRounds: number('BENCH_HOTPATH_ROUNDS', 11, 5),
    hotPathRequests: number('BENCH_HOTPATH_REQUESTS', 20_000, 5_000),
    hotPathAllocationSamples: number('BENCH_HOTPATH_ALLOCATION_SAMPLES', 7, 5),
    heapWarmupRequests: number('BENCH_HEAP_WARMUP', 20_000, 5_000),
    heapRequests: number('BENCH_HEAP_REQUESTS', 200_000, 20_000),
    only: new Set(only.length > 0 ? only : SCENARIOS),
  };
}
