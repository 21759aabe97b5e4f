/** Benchmark settings: defaults for a full run (~6 min), BENCH_QUICK=1 for a smoke run (~1.5 min), each overridable. */

export interface Settings {
  quick: boolean;
  /** Measured throughput rounds (after one unrecorded warm-up round). */
  rounds: number;
  /** Requests per contender per round, by concurrency. */
  requestsAt1: number;
  requestsAt50: number;
  /** Requests per slice, by concurrency: within a round the contenders take turns slice by slice. */
  sliceAt1: number;
  sliceAt50: number;
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
   * Hot path of the built package (hot-path-modules.ts): child processes per module
   * system, measured rounds per process, requests per client per round (in slices of
   * 1,000, rounded), and allocation samples per client.
   */
  hotPathProcesses: number;
  hotPathRounds: number;
  hotPathRequests: number;
  hotPathAllocationSamples: number;
  heapWarmupRequests: number;
  heapRequests: number;
  /** Outage (outage.ts): how long the token endpoint is down, how long it is watched after, callers per client. */
  outageSeconds: number;
  outageRecoverySeconds: number;
  outageConcurrency: number;
  /** Comma-separated scenarios to run: hotpath, throughput, inprocess, bursts, longrun, outage, heap. Default all. */
  only: ReadonlySet<string>;
}

export const SCENARIOS = ['hotpath', 'throughput', 'inprocess', 'bursts', 'longrun', 'outage', 'heap'] as const;

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const number = (name: string, full: number, short: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return quick ? short : full;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    return value;
  };
  /** A count of processes or rounds: a whole number, at least 1. */
  const count = (name: string, full: number, short: number): number => {
    const value = number(name, full, short);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got ${value}`);
    return value;
  };
  const only = (env.BENCH_ONLY ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`BENCH_ONLY: unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
  }
  return {
    quick,
    rounds: number('BENCH_ROUNDS', 17, 3),
    requestsAt1: number('BENCH_REQUESTS_C1', 1_600, 400),
    requestsAt50: number('BENCH_REQUESTS_C50', 4_800, 1_800),
    sliceAt1: number('BENCH_SLICE_C1', 50, 50),
    sliceAt50: number('BENCH_SLICE_C50', 300, 300),
    noNetworkRounds: number('BENCH_INPROCESS_ROUNDS', 9, 3),
    noNetworkRequests: number('BENCH_INPROCESS_REQUESTS', 20_000, 5_000),
    burstSize: number('BENCH_BURST', 1_000, 1_000),
    burstSockets: number('BENCH_BURST_SOCKETS', 100, 100),
    tokenDelayMs: number('BENCH_TOKEN_DELAY_MS', 50, 50),
    longRunSeconds: number('BENCH_LONG_SECONDS', 60, 8),
    longRunTokenSeconds: number('BENCH_LONG_TOKEN_SECONDS', 5, 2),
    longRunConcurrency: number('BENCH_LONG_CONCURRENCY', 2, 2),
    longRunPauseMs: number('BENCH_LONG_PAUSE_MS', 2, 2),
    hotPathProcesses: count('BENCH_HOTPATH_PROCESSES', 3, 2),
    hotPathRounds: count('BENCH_HOTPATH_ROUNDS', 7, 4),
    hotPathRequests: number('BENCH_HOTPATH_REQUESTS', 20_000, 5_000),
    hotPathAllocationSamples: number('BENCH_HOTPATH_ALLOCATION_SAMPLES', 7, 5),
    heapWarmupRequests: number('BENCH_HEAP_WARMUP', 20_000, 5_000),
    heapRequests: number('BENCH_HEAP_REQUESTS', 200_000, 20_000),
    outageSeconds: number('BENCH_OUTAGE_SECONDS', 10, 4),
    outageRecoverySeconds: number('BENCH_OUTAGE_RECOVERY_SECONDS', 9, 5),
    outageConcurrency: number('BENCH_OUTAGE_CONCURRENCY', 50, 50),
    only: new Set(only.length > 0 ? only : SCENARIOS),
  };
}
