/**
 * Outage (issue #10): the token endpoint is down for `outageSeconds` while
 * `outageConcurrency` callers per client loop on one authorized axios instance each, as
 * fast as they can, against the loopback API; then it is back for `outageRecoverySeconds`.
 * Counted: the token requests the authorization server receives during the outage, the
 * calls that fail during it and after it, the calls that succeed after it, and the time
 * from the recovery to each client's first success. Twice: with every connection to the
 * token endpoint reset at once, and with every token request answered 503.
 *
 *   npm run bench:outage              this part alone, about 45 s
 *   BENCH_QUICK=1 npm run bench:outage   4 s outages, about 30 s
 *   (part of `npm run bench` too, as the scenario `outage`)
 *
 * The clients, side by side, each in a process of its own (outage-child.ts), so that one
 * whose calls fail without any I/O cannot slow another's event loop:
 *   plugin           the built package (dist/) with its defaults: retries within the
 *                    shared fetch, then a cooldown of 1 s, 2 s, 4 s … 30 s;
 *   plugin-no-retry  the same with `tokenRetry: false`, the behaviour before #10 (the
 *                    baseline of this scenario, measured in the same run);
 *   oauth-client     axios-oauth-client + axios-token-interceptor, as in contenders.ts;
 *   auth-refresh     axios-auth-refresh + the hand-written refresh of contenders.ts.
 * Each reaches the token endpoint through a gate of its own (a TCP front door in the
 * server process, see OutageState in protocol.ts), so the server counts each client's
 * token requests even when it resets the connections: in the `reset` outage a token
 * request is a connection the gate accepted and reset at once, counted there; in the
 * `503` outage it is an HTTP request, counted by client id.
 *
 * Every client is created cold, with no token, the moment the outage starts (as an app
 * restarted during it would be, or one whose token has just expired), after a warm-up of
 * the same code on a throwaway instance while the endpoint was up. Tokens live an hour,
 * so nothing but the outage makes anyone fetch. A caller yields to the event loop after
 * each call, so that calls failing without any I/O (the cooldown) let the rest through.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Endpoints } from './contenders';
import { ensureBuild } from './ensure-build';
import { sleep } from './load';
import { outageSection, outageVerdicts } from './outage-summary';
import type { OutageState, ServerStats } from './protocol';
import { BenchServers } from './servers';
import { readSettings, type Settings } from './settings';
import { renderVerdicts } from './verdicts';

export const OUTAGE_CLIENTS = ['plugin', 'plugin-no-retry', 'oauth-client', 'auth-refresh'] as const;
export type OutageClient = (typeof OUTAGE_CLIENTS)[number];

export const OUTAGE_LABELS: Readonly<Record<OutageClient, string>> = {
  plugin: 'axios-client-credentials, defaults',
  'plugin-no-retry': 'axios-client-credentials, `tokenRetry: false` (before #10)',
  'oauth-client': 'axios-oauth-client + axios-token-interceptor',
  'auth-refresh': 'axios-auth-refresh + hand-written refresh',
};

/** How the token endpoint is down: every connection reset at once, or every request answered 503. */
export const OUTAGE_MODES = ['reset', '503'] as const satisfies readonly OutageState[];
export type OutageMode = (typeof OUTAGE_MODES)[number];

export const OUTAGE_MODE_LABELS: Readonly<Record<OutageMode, string>> = {
  reset: 'connections reset',
  '503': '503 answers',
};

export interface CallCounts {
  ok: number;
  failed: number;
  /** Failures by kind (HTTP status or error code). */
  errors: Record<string, number>;
}

export interface OutageFigures {
  /** Token requests the server received during the outage (connections reset, or HTTP requests answered 503). */
  tokenRequests: number;
  /** Token requests it received after the recovery, until the end of the run. */
  tokenRequestsAfter: number;
  /** Calls settled during the outage. */
  during: CallCounts;
  /** Calls settled after the recovery. */
  after: CallCounts;
  /** From the recovery to the first call that succeeded after it, ms; undefined when none did. */
  firstSuccessMs: number | undefined;
  /** Calls still in flight when the client reported. */
  pendingAtEnd: number;
}

export interface OutageResults {
  outageSeconds: number;
  recoverySeconds: number;
  concurrency: number;
  /** The plugin's build, as ensure-build.ts reported it. */
  build: string;
  byMode: Record<OutageMode, Record<OutageClient, OutageFigures>>;
}

/** What a child (outage-child.ts) is given, in BENCH_OUTAGE_JOB. */
export interface OutageChildJob {
  client: OutageClient;
  endpoints: Endpoints;
  concurrency: number;
  /** How long the child waits for its calls in flight after 'stop' before it reports. */
  drainMs: number;
}

export type OutageParentMessage = { type: 'start' } | { type: 'recovering' } | { type: 'stop' };

export interface OutageChildReport {
  type: 'report';
  during: CallCounts;
  after: CallCounts;
  firstSuccessMs: number | undefined;
  /** Calls still in flight when the child reported (0 unless one hung past `drainMs`). */
  pendingAtEnd: number;
}

export type OutageChildMessage = { type: 'ready' } | OutageChildReport;

const DRAIN_MS = 5_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A client's process, seen from here. */
class Child {
  readonly #process: ChildProcess;
  readonly #messages: OutageChildMessage[] = [];
  readonly #waiting: (() => void)[] = [];
  #exited: Error | undefined;

  constructor(client: OutageClient, endpoints: Endpoints, concurrency: number) {
    const job: OutageChildJob = { client, endpoints, concurrency, drainMs: DRAIN_MS };
    this.#process = fork(path.join(__dirname, 'outage-child.ts'), [], {
      env: { ...process.env, BENCH_OUTAGE_JOB: JSON.stringify(job) },
      // The child's stdout goes to our stderr: stdout is the Markdown report.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    this.#process.on('message', (message: OutageChildMessage) => {
      this.#messages.push(message);
      for (const wake of this.#waiting.splice(0)) wake();
    });
    this.#process.once('exit', (code) => {
      this.#exited = new Error(`outage child (${client}) exited with code ${code} before reporting`);
      for (const wake of this.#waiting.splice(0)) wake();
    });
  }

  send(message: OutageParentMessage): void {
    this.#process.send(message);
  }

  /** The child's next message of `type`; rejects if it exits first. */
  async receive<Type extends OutageChildMessage['type']>(type: Type): Promise<Extract<OutageChildMessage, { type: Type }>> {
    for (;;) {
      const index = this.#messages.findIndex((message) => message.type === type);
      if (index >= 0) return this.#messages.splice(index, 1)[0] as Extract<OutageChildMessage, { type: Type }>;
      if (this.#exited) throw this.#exited;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  kill(): void {
    this.#process.kill();
  }
}

/** Token requests of `client` between two snapshots: connections reset by its gate plus HTTP requests with its client id. */
function tokenRequestsBetween(before: ServerStats, after: ServerStats, client: OutageClient): number {
  const http = (after.tokenRequests[client] ?? 0) - (before.tokenRequests[client] ?? 0);
  const reset = (after.resetConnections[client] ?? 0) - (before.resetConnections[client] ?? 0);
  return http + reset;
}

/** One outage in `mode`: a fresh process per client, all side by side. */
async function runOutage(
  servers: BenchServers,
  settings: Settings,
  gates: Record<string, string>,
  mode: OutageMode,
): Promise<Record<OutageClient, OutageFigures>> {
  progress(
    `outage (${OUTAGE_MODE_LABELS[mode]}): ${settings.outageSeconds} s down, ${settings.outageRecoverySeconds} s back up, ${settings.outageConcurrency} callers per client`,
  );
  const children = OUTAGE_CLIENTS.map(
    (client) =>
      [client, new Child(client, { resourceUrl: servers.resourceUrl, tokenEndpoint: gates[client] }, settings.outageConcurrency)] as const,
  );
  try {
    await Promise.all(children.map(([, child]) => child.receive('ready')));
    const atOutage = await servers.outage(mode);
    for (const [, child] of children) child.send({ type: 'start' });
    await sleep(settings.outageSeconds * 1000);
    // The children first: a call that fails in the instant before the server is up counts after the recovery, never a success before it.
    for (const [, child] of children) child.send({ type: 'recovering' });
    const atRecovery = await servers.outage('up');
    await sleep(settings.outageRecoverySeconds * 1000);
    for (const [, child] of children) child.send({ type: 'stop' });
    const reports = await Promise.all(children.map(([, child]) => child.receive('report')));
    const atEnd = await servers.stats();
    const figures = {} as Record<OutageClient, OutageFigures>;
    children.forEach(([client], index) => {
      const report = reports[index];
      if (report.pendingAtEnd > 0)
        progress(`outage: ${report.pendingAtEnd} calls of ${client} still pending ${DRAIN_MS / 1000} s after the end`);
      figures[client] = {
        tokenRequests: tokenRequestsBetween(atOutage, atRecovery, client),
        tokenRequestsAfter: tokenRequestsBetween(atRecovery, atEnd, client),
        during: report.during,
        after: report.after,
        firstSuccessMs: report.firstSuccessMs,
        pendingAtEnd: report.pendingAtEnd,
      };
    });
    return figures;
  } finally {
    for (const [, child] of children) child.kill();
  }
}

export async function measureOutage(servers: BenchServers, settings: Settings): Promise<OutageResults> {
  // The children load dist/: build it first if lib/ is newer.
  const build = ensureBuild();
  await servers.configure(3600, 0);
  const gates = await servers.openGates(OUTAGE_CLIENTS);
  const byMode = {} as OutageResults['byMode'];
  for (const mode of OUTAGE_MODES) byMode[mode] = await runOutage(servers, settings, gates, mode);
  return {
    outageSeconds: settings.outageSeconds,
    recoverySeconds: settings.outageRecoverySeconds,
    concurrency: settings.outageConcurrency,
    build,
    byMode,
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  const servers = await BenchServers.start();
  let results: OutageResults;
  try {
    results = await measureOutage(servers, settings);
  } finally {
    servers.stop();
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  process.stdout.write(
    `${outageSection(results)}\n\n${renderVerdicts(outageVerdicts(results))}\n\n(outage scenario alone: ${seconds} s)\n`,
  );
}

if (require.main === module) {
  // A hung child or server must not hang the run (run.ts has its own watchdog for the whole benchmark).
  setTimeout(() => {
    console.error('[bench] outage: still running after 300 s: giving up');
    process.exit(1);
  }, 300_000).unref();
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
