/**
 * Child process of the heap measurement, started with --expose-gc by scenarios.ts.
 * Warms a plugin client up, collects garbage, measures, sends the requests, collects
 * again, measures again, and reports to the parent.
 */
import { createClient, type Endpoints } from './contenders';
import { runCount } from './load';
import { keepAliveAgent, type HeapFigures } from './scenarios';

interface HeapJob {
  endpoints: Endpoints;
  warmupRequests: number;
  requests: number;
}

const CONCURRENCY = 50;

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  const collect = globalThis.gc;
  if (!collect) throw new Error('run with --expose-gc');
  // Twice, with a turn of the event loop between: finalizers and weak references settle.
  collect();
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_HEAP_JOB ?? '') as HeapJob;
  const agent = keepAliveAgent(CONCURRENCY);
  const send = await createClient('plugin', job.endpoints, { agent });
  // Keep only the failure counts: the latency arrays must not be alive when memory is measured.
  const warmupFailed = (await runCount(send, job.warmupRequests, CONCURRENCY)).failed;
  const before = await settledMemory();
  const runFailed = (await runCount(send, job.requests, CONCURRENCY)).failed;
  const after = await settledMemory();
  const figures: HeapFigures = {
    warmupRequests: job.warmupRequests,
    requests: job.requests,
    failed: warmupFailed + runFailed,
    before,
    after,
  };
  process.send?.(figures, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
