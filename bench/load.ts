/** Load loops: a fixed number of requests, a burst, a timed run. All closed-loop. */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Send } from './contenders';
import { clock, STARTED_AT_HEADER } from './protocol';

/**
 * A full garbage collection, run between measured runs so that one contender's garbage
 * is not collected on the next one's clock. `npm run bench` cannot pass --expose-gc
 * through tsx, so the flag is set at run time and `gc` taken from a fresh context.
 */
export const collectGarbage: () => void =
  // Called without options, gc collects synchronously (the Promise-returning overload takes `{ execution: 'async' }`).
  (globalThis.gc as (() => void) | undefined) ??
  (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  })();

export interface CountResult extends Failures {
  requests: number;
  wallMs: number;
  /** Client CPU time (user + system) of this process over the run, in microseconds. */
  cpuMicros: number;
  /** Latency of each request in milliseconds, in completion order. */
  latencies: Float64Array;
}

/** A short name for why a request failed: `HTTP 401`, `ECONNRESET`, … */
export function failureKind(error: unknown): string {
  const { response, code, message } = (error ?? {}) as { response?: { status?: number }; code?: unknown; message?: unknown };
  if (response?.status !== undefined) return `HTTP ${response.status}`;
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : String(error);
}

function tally(errors: Record<string, number>, error: unknown): void {
  const kind = failureKind(error);
  errors[kind] = (errors[kind] ?? 0) + 1;
}

/** Sends `total` requests with `concurrency` of them in flight at any time. */
export async function runCount(send: Send, total: number, concurrency: number): Promise<CountResult> {
  const latencies = new Float64Array(total);
  let started = 0;
  let done = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      const start = performance.now();
      try {
        await send();
      } catch (error) {
        failed++;
        tally(errors, error);
      }
      latencies[done++] = performance.now() - start;
    }
  };
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);
  return { requests: total, failed, wallMs, cpuMicros: cpu.user + cpu.system, latencies, errors };
}

export interface Failures {
  failed: number;
  /** Failures by kind (HTTP status or error code). */
  errors: Record<string, number>;
}

/** Starts `count` requests at once and waits for all of them. */
export async function runBurst(send: Send, count: number): Promise<Failures> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => send()));
  const errors: Record<string, number> = {};
  let failed = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    failed++;
    tally(errors, result.reason);
  }
  return { failed, errors };
}

export interface TimedOptions {
  durationMs: number;
  concurrency: number;
  /** Pause of each worker between two requests, so that latency measures waiting, not a saturated CPU. */
  pauseMs: number;
}

export interface TimedResult extends Failures {
  requests: number;
  /** Slowest request started after the first successful response. */
  maxLatencyAfterFirstMs: number;
}

/**
 * Sends requests for `durationMs`, each stamped with the time it was started, so the
 * resource server can tell which ones carry a token fetched after they started.
 */
export async function runTimed(send: Send, options: TimedOptions): Promise<TimedResult> {
  const endAt = performance.now() + options.durationMs;
  let firstOkAt = Infinity;
  const result: TimedResult = { requests: 0, failed: 0, errors: {}, maxLatencyAfterFirstMs: 0 };
  const worker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const start = performance.now();
      let ok = true;
      try {
        await send({ [STARTED_AT_HEADER]: clock().toFixed(3) });
      } catch (error) {
        ok = false;
        result.failed++;
        tally(result.errors, error);
      }
      const end = performance.now();
      result.requests++;
      if (ok && firstOkAt === Infinity) firstOkAt = end;
      if (start > firstOkAt) result.maxLatencyAfterFirstMs = Math.max(result.maxLatencyAfterFirstMs, end - start);
      if (options.pauseMs > 0) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile (0 < p ≤ 100). */
export function percentile(values: Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
