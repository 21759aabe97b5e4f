/**
 * Benchmark of axios-client-credentials against a static Bearer header (the baseline)
 * and two peers, over keep-alive HTTP on 127.0.0.1. Prints Markdown tables and one
 * PASS / FAIL / INCONCLUSIVE line per target of the issues, each naming the measure that
 * decided it, and a summary that counts each; exits 0 either way (it is a report).
 *
 *   npm run bench                    full run, about 6 minutes on a quiet 2-core machine
 *                                    (60 s of it the long run, about 90 s the hot path of
 *                                    the built package, about 45 s the outage)
 *   BENCH_QUICK=1 npm run bench      smoke run, about 1.5 minutes: fewer rounds and requests,
 *                                    an 8 s long run with 2 s tokens, 4 s outages, 20,000 heap requests
 *   npx tsx bench/hot-path-modules.ts   the hot path of the built package alone,
 *                                    `require` vs `import` (builds dist/ if stale)
 *   npm run bench:outage             the token endpoint outage alone (bench/outage.ts)
 *
 * The first section measures the built package (dist/), not lib/ through tsx: each
 * module system in a plain-Node child, after `npm run build` when dist/ is missing or
 * older than lib/ (ensure-build.ts); so does the outage, one child process per client.
 * The other sections run lib/ in this process.
 *
 * Each throughput figure comes from interleaved rounds: in every round each contender
 * runs the same number of requests, in slices taken in turns, in an order rotated from
 * slice to slice and round to round. An A/A control (a second baseline client) shows how
 * far two identical clients drift apart. The resource and authorization servers run in a
 * child process, so process.cpuUsage() here is the client's alone. Progress goes to
 * stderr, the report to stdout.
 *
 * A throughput target is decided by wall-clock throughput when that is conclusive, else
 * by the client's CPU time per request, each judged round by round against the A/A
 * control's spread; when neither is conclusive it is INCONCLUSIVE (see report.ts). The
 * targets on token requests are exact counts at the server. "Waited on a token fetch"
 * in the long run is counted exactly by the resource server: a request that carries a
 * token issued after the request started.
 *
 * Overrides (numbers): BENCH_ROUNDS, BENCH_REQUESTS_C1, BENCH_REQUESTS_C50, BENCH_SLICE_C1, BENCH_SLICE_C50,
 * BENCH_INPROCESS_ROUNDS, BENCH_INPROCESS_REQUESTS, BENCH_BURST, BENCH_BURST_SOCKETS,
 * BENCH_TOKEN_DELAY_MS, BENCH_LONG_SECONDS, BENCH_LONG_TOKEN_SECONDS,
 * BENCH_LONG_CONCURRENCY, BENCH_LONG_PAUSE_MS, BENCH_OUTAGE_SECONDS,
 * BENCH_OUTAGE_RECOVERY_SECONDS, BENCH_OUTAGE_CONCURRENCY, BENCH_HEAP_WARMUP,
 * BENCH_HEAP_REQUESTS, BENCH_HOTPATH_PROCESSES, BENCH_HOTPATH_ROUNDS, BENCH_HOTPATH_REQUESTS,
 * BENCH_HOTPATH_ALLOCATION_SAMPLES. BENCH_ONLY=hotpath,throughput,inprocess,bursts,longrun,outage,heap
 * runs a subset; BENCH_JSON=file also writes the raw per-round figures there.
 *
 * The hot path alone, profiled: `npx tsx bench/profile-hot-path.ts` (see that file).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import axios from 'axios';
import { measureHotPathModules } from './hot-path-modules';
import { measureOutage } from './outage';
import { render, type Results } from './report';
import { measureBursts, measureHeap, measureInProcess, measureLongRun, measureThroughput } from './scenarios';
import { BenchServers } from './servers';
import { readSettings, type Settings } from './settings';

function describeRun(settings: Settings, seconds: number): string {
  const cpus = os.cpus();
  return [
    `## axios-client-credentials benchmark${settings.quick ? ' (BENCH_QUICK)' : ''}`,
    '',
    `Node ${process.version}, axios ${axios.VERSION}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}; ` +
      `${settings.rounds} interleaved rounds of ${settings.requestsAt1.toLocaleString('en-US')} requests at concurrency 1 and ` +
      `${settings.requestsAt50.toLocaleString('en-US')} at concurrency 50 per client, in slices of ${settings.sliceAt1} and ${settings.sliceAt50} taken in turns; token endpoint delay ${settings.tokenDelayMs} ms in the token scenarios; ` +
      `run took ${Math.round(seconds)} s.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  const results: Results = {};
  // First, and before the servers start: it builds dist/ if needed (failing fast if the
  // build does) and its children need no server.
  if (settings.only.has('hotpath')) results.hotPath = await measureHotPathModules(settings);
  const servers = await BenchServers.start();
  try {
    if (settings.only.has('throughput')) results.throughput = await measureThroughput(servers, settings);
    if (settings.only.has('inprocess')) results.inProcess = await measureInProcess(servers, settings);
    if (settings.only.has('bursts')) results.bursts = await measureBursts(servers, settings);
    if (settings.only.has('longrun')) results.longRun = await measureLongRun(servers, settings);
    if (settings.only.has('outage')) results.outage = await measureOutage(servers, settings);
    if (settings.only.has('heap')) results.heap = await measureHeap(servers, settings);
  } finally {
    servers.stop();
  }
  if (process.env.BENCH_JSON)
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ settings: { ...settings, only: [...settings.only] }, results }, null, 2)}\n`);
  const header = describeRun(settings, (performance.now() - started) / 1000);
  process.stdout.write(render(results, { header, burstSize: settings.burstSize }));
}

/**
 * A hung server or child must not hang the benchmark: past this many seconds it gives up
 * (forked children exit when their IPC channel closes). BENCH_TIMEOUT_SECONDS overrides.
 */
const WATCHDOG_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 900);
setTimeout(() => {
  console.error(`[bench] still running after ${WATCHDOG_SECONDS} s: giving up`);
  process.exit(1);
}, WATCHDOG_SECONDS * 1000).unref();

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
