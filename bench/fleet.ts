/**
 * Fleet (issue #11): how many token requests a fleet of P processes of one client makes,
 * with and without option `store` (`redisStore()` on a real redis-server, node-redis
 * client), for P = 1, 2, 4 and 8.
 *
 *   npm run bench:fleet                    60 s runs: about 8 × (61 s + start-up) ≈ 9 min
 *   npm run bench:fleet -- --quick         10 s runs: about 2 min
 *   npm run bench:fleet -- --duration 30   any run length, in seconds
 *   npm run bench:fleet -- --parallel      with and without the store side by side (half the time;
 *                                          they then share the machine's cores)
 *   npm run bench:fleet -- --processes 1,8 other fleet sizes
 *
 * Everything runs on loopback, started here: a redis-server (nothing persisted), an
 * authorization server issuing 5 s tokens, and a protected API that refuses a token once
 * its 5 s are over (so a process that kept an expired token would be seen: a 401, then a
 * refresh). Each configuration gets fresh processes (fleet-member.ts, the built package)
 * and a client id of its own, so nothing is shared between configurations, not even
 * Redis keys. Per configuration:
 *
 *   cold start  every process fires 200 calls at once, with no token anywhere;
 *   run         then, for the run's length, every process loops 20 callers, each a call
 *               then a 500 ms pause (at most 40 calls/s per process).
 *
 * Counted at the authorization server: the token requests of the configuration's client in
 * each phase; counted in the processes: calls that failed (any error: a 401 the plugin
 * could not recover from, a timeout...). The bound with the store is one token request per
 * 5 s token lifetime for the whole fleet, plus one for the cold start: 1 + ⌈span / 5 s⌉, the span
 * running from the cold start to the end of the run (the run starts once every process has
 * finished its cold start, which takes longer with more processes).
 * Without the store every process fetches its own: about P times that.
 *
 * The Markdown table goes to stdout, progress to stderr. Every child and the redis-server
 * are ended on exit, on an error and on Ctrl-C.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AuthorizationServer, type ReceivedTokenRequest } from '../examples/servers/authorization-server';
import { ResourceServer } from '../examples/servers/resource-server';
import { startRedisServer, type RedisServer } from '../__tests__/support/redis-server';
import { ensureBuild } from './ensure-build';

/** Calls that succeeded and failed, failures by kind (`HTTP 401`, `ECONNABORTED`...). */
export interface CallCounts {
  ok: number;
  failed: number;
  errors: Record<string, number>;
}

/** What a member process is told at start (env BENCH_FLEET_JOB). */
export interface FleetMemberJob {
  tokenEndpoint: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** With the store when set. */
  redisUrl?: string;
  coldConcurrency: number;
  loops: number;
  loopPauseMs: number;
  callTimeoutMs: number;
}

export type FleetParentMessage = { type: 'cold' } | { type: 'run'; durationMs: number } | { type: 'stop' };
/** What a member saw of the plugin, from its events, cold start and run together. */
export interface MemberEvents {
  /** Tokens it fetched itself (`token:issued` from the endpoint). */
  fetched: number;
  /** Times the store failed or did not answer within its timeout, so that it fetched on its own (`store:unavailable`). */
  storeUnavailable: number;
  /** Tokens it dropped after a 401 (`token:invalidated`, reason `unauthorized`). */
  unauthorized: number;
}

export type FleetMemberMessage =
  | { type: 'ready' }
  | { type: 'cold-done'; counts: CallCounts; maxLagMs: number }
  | { type: 'run-done'; counts: CallCounts; events: MemberEvents; maxLagMs: number };

const TOKEN_LIFETIME_S = 5;
const COLD_CONCURRENCY = 200;
const LOOPS = 20;
const LOOP_PAUSE_MS = 500;
const CALL_TIMEOUT_MS = 10_000;
/** Longest wait for the processes to start, for a cold start to end, and past a run's end. */
const PHASE_SLACK_MS = 60_000;
const CLIENT_SECRET = 'fleet-bench-secret';

interface Config {
  processes: number;
  store: boolean;
}

interface Figures extends Config {
  coldTokenRequests: number;
  runTokenRequests: number;
  cold: CallCounts;
  run: CallCounts;
  events: MemberEvents;
  /** The longest event-loop delay of any member, in the cold start and in the run, in ms. */
  maxLagMs: { cold: number; run: number };
  /** From the cold start to the end of the run: how long the fleet called the API, in ms. */
  spanMs: number;
  /** Time between consecutive tokens issued to the fleet: the median and the shortest, in ms (undefined with fewer than two). */
  gapsMs: { median: number; shortest: number } | undefined;
  /** Wall time of the configuration, start-up included, in ms. */
  wallMs: number;
}

function progress(message: string): void {
  process.stderr.write(`[bench:fleet] ${message}\n`);
}

function readArguments(): { durationS: number; parallel: boolean; processCounts: number[] } {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      parallel: { type: 'boolean', default: false },
      processes: { type: 'string', default: '1,2,4,8' },
    },
  });
  const durationS = values.duration !== undefined ? Number(values.duration) : values.quick ? 10 : 60;
  if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 3600)
    throw new Error(`--duration: expected seconds in (0, 3600], got ${values.duration}`);
  const processCounts = [...new Set(values.processes.split(',').map(Number))];
  if (processCounts.some((count) => !Number.isInteger(count) || count < 1 || count > 32))
    throw new Error(`--processes: expected a list of counts from 1 to 32, got ${values.processes}`);
  return { durationS, parallel: values.parallel, processCounts };
}

/** Everything started here, ended once whatever happens. */
class Resources {
  readonly children = new Set<ChildProcess>();
  redis: RedisServer | undefined;
  auth: AuthorizationServer | undefined;
  api: ResourceServer | undefined;
  #ended = false;

  /** Kills the children and the redis-server at once (synchronously: usable in an 'exit' listener). */
  killNow(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    void this.redis?.dispose();
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.killNow();
    await Promise.all([this.redis?.dispose(), this.auth?.stop(), this.api?.stop()]);
  }
}

/** A member process, seen from here. */
class Member {
  readonly #process: ChildProcess;
  readonly #messages: FleetMemberMessage[] = [];
  readonly #waiting: (() => void)[] = [];
  #exited: Error | undefined;

  constructor(job: FleetMemberJob, resources: Resources) {
    this.#process = fork(path.join(__dirname, 'fleet-member.ts'), [], {
      env: { ...process.env, BENCH_FLEET_JOB: JSON.stringify(job) },
      // The member's output goes to our stderr: stdout is the table.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    resources.children.add(this.#process);
    this.#process.on('message', (message: FleetMemberMessage) => {
      this.#messages.push(message);
      for (const wake of this.#waiting.splice(0)) wake();
    });
    this.#process.once('exit', (code, signal) => {
      resources.children.delete(this.#process);
      this.#exited = new Error(`fleet member exited (${signal ?? `code ${code}`})`);
      for (const wake of this.#waiting.splice(0)) wake();
    });
  }

  send(message: FleetParentMessage): void {
    this.#process.send(message);
  }

  /** The member's next message of `type`; rejects if it exits first. */
  async receive<Type extends FleetMemberMessage['type']>(type: Type): Promise<Extract<FleetMemberMessage, { type: Type }>> {
    for (;;) {
      const index = this.#messages.findIndex((message) => message.type === type);
      if (index >= 0) return this.#messages.splice(index, 1)[0] as Extract<FleetMemberMessage, { type: Type }>;
      if (this.#exited) throw this.#exited;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  /** Asks it to stop; kills it if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    if (this.#process.connected) this.send({ type: 'stop' });
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function gaps(times: number[]): Figures['gapsMs'] {
  const between = times
    .slice(1)
    .map((time, i) => time - times[i])
    .sort((a, b) => a - b);
  if (between.length === 0) return undefined;
  return { median: between[Math.floor(between.length / 2)], shortest: between[0] };
}

function sum(counts: CallCounts[]): CallCounts {
  const total: CallCounts = { ok: 0, failed: 0, errors: {} };
  for (const { ok, failed, errors } of counts) {
    total.ok += ok;
    total.failed += failed;
    for (const [kind, count] of Object.entries(errors)) total.errors[kind] = (total.errors[kind] ?? 0) + count;
  }
  return total;
}

const clientIdOf = ({ processes, store }: Config): string => `fleet-p${processes}-${store ? 'store' : 'alone'}`;
const label = ({ processes, store }: Config): string => `P=${processes} ${store ? 'with the store' : 'without'}`;

/** The servers, once started. */
interface Started {
  auth: AuthorizationServer;
  api: ResourceServer;
  redis: RedisServer;
  resources: Resources;
  /** When each client's tokens were issued (epoch ms). */
  issuedAt: ReadonlyMap<string, number[]>;
}

/** One configuration: fresh processes, a cold start, a run; the token requests of its own client. */
async function runConfig(config: Config, durationS: number, { auth, api, redis, resources, issuedAt }: Started): Promise<Figures> {
  const clientId = clientIdOf(config);
  const tokenRequests = (): number => auth.requests.filter((request) => request.credentials?.clientId === clientId).length;
  const startedAt = Date.now();
  const job: FleetMemberJob = {
    tokenEndpoint: auth.tokenEndpoint,
    apiUrl: api.url,
    clientId,
    clientSecret: CLIENT_SECRET,
    ...(config.store ? { redisUrl: redis.url } : {}),
    coldConcurrency: COLD_CONCURRENCY,
    loops: LOOPS,
    loopPauseMs: LOOP_PAUSE_MS,
    callTimeoutMs: CALL_TIMEOUT_MS,
  };
  const members = Array.from({ length: config.processes }, () => new Member(job, resources));
  try {
    await within(Promise.all(members.map((member) => member.receive('ready'))), PHASE_SLACK_MS, `${label(config)}: start-up`);
    progress(`${label(config)}: cold start`);
    const coldAt = Date.now();
    for (const member of members) member.send({ type: 'cold' });
    const cold = await within(
      Promise.all(members.map((member) => member.receive('cold-done'))),
      PHASE_SLACK_MS,
      `${label(config)}: cold start`,
    );
    const coldTokenRequests = tokenRequests();
    progress(`${label(config)}: ${durationS} s run`);
    for (const member of members) member.send({ type: 'run', durationMs: durationS * 1000 });
    const run = await within(
      Promise.all(members.map((member) => member.receive('run-done'))),
      durationS * 1000 + PHASE_SLACK_MS,
      `${label(config)}: run`,
    );
    const runTokenRequests = tokenRequests() - coldTokenRequests;
    return {
      ...config,
      coldTokenRequests,
      runTokenRequests,
      cold: sum(cold.map((message) => message.counts)),
      run: sum(run.map((message) => message.counts)),
      maxLagMs: { cold: Math.max(...cold.map((message) => message.maxLagMs)), run: Math.max(...run.map((message) => message.maxLagMs)) },
      events: {
        fetched: run.reduce((total, { events }) => total + events.fetched, 0),
        storeUnavailable: run.reduce((total, { events }) => total + events.storeUnavailable, 0),
        unauthorized: run.reduce((total, { events }) => total + events.unauthorized, 0),
      },
      spanMs: Date.now() - coldAt,
      gapsMs: gaps(issuedAt.get(clientId) ?? []),
      wallMs: Date.now() - startedAt,
    };
  } finally {
    await Promise.all(members.map((member) => member.stop()));
  }
}

/** The bound for the whole fleet: one token request per lifetime over the span the fleet called the API, plus one for the cold start. */
const boundOf = (f: Figures): number => 1 + Math.ceil(f.spanMs / 1000 / TOKEN_LIFETIME_S);

function table(figures: Figures[]): string {
  const rows = figures.map((f) => {
    const total = f.coldTokenRequests + f.runTokenRequests;
    const calls = f.cold.ok + f.cold.failed + f.run.ok + f.run.failed;
    const cells = [
      f.processes,
      f.store ? 'yes' : 'no',
      f.coldTokenRequests,
      f.runTokenRequests,
      total,
      (f.spanMs / 1000).toFixed(1),
      boundOf(f),
      total <= boundOf(f) ? '✓' : '✗',
      f.store && f.gapsMs ? `${(f.gapsMs.median / 1000).toFixed(2)} / ${(f.gapsMs.shortest / 1000).toFixed(2)}` : '–',
      calls,
      f.cold.failed + f.run.failed,
      f.store ? f.events.storeUnavailable : '–',
      f.events.unauthorized,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '| processes | store | cold-start token requests | run token requests | total | span (s) | bound (fleet) | ≤ bound | s between tokens (median / shortest) | calls | failed calls | store unavailable | 401s |',
    '|---:|:---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function failureNotes(figures: Figures[]): string[] {
  return figures
    .filter((f) => f.cold.failed + f.run.failed > 0)
    .map((f) => `- ${label(f)}: cold start ${JSON.stringify(f.cold.errors)}, run ${JSON.stringify(f.run.errors)}`);
}

/** Where processes fetched on their own because the store answered late: how late their event loops ran. */
function storeNotes(figures: Figures[]): string[] {
  return figures
    .filter((f) => f.events.storeUnavailable > 0)
    .map(
      (f) =>
        `- ${label(f)}: ${f.events.storeUnavailable} × store unavailable; longest event-loop delay of a process ` +
        `${f.maxLagMs.cold} ms in the cold start, ${f.maxLagMs.run} ms in the run (the operation timeout is 250 ms)`,
    );
}

async function main(resources: Resources): Promise<void> {
  const { durationS, parallel, processCounts } = readArguments();
  const startedAt = Date.now();
  const build = ensureBuild();
  progress(`dist/: ${build}`);

  const redis = (resources.redis = await startRedisServer());
  const configs = processCounts.flatMap((processes) => [true, false].map((store) => ({ processes, store })));
  const clients = Object.fromEntries(configs.map((config) => [clientIdOf(config), CLIENT_SECRET]));
  const auth = (resources.auth = await new AuthorizationServer({ clients, expiresIn: TOKEN_LIFETIME_S }).start());
  // The API refuses a token once its lifetime is over, as a real one would.
  const expiresAt = new Map<string, number>();
  const issuedAt = new Map<string, number[]>();
  auth.on('answered', (received: ReceivedTokenRequest) => {
    const token = received.answer?.token;
    if (token === undefined) return;
    expiresAt.set(token, Date.now() + TOKEN_LIFETIME_S * 1000);
    const clientId = received.credentials?.clientId ?? '';
    issuedAt.set(clientId, [...(issuedAt.get(clientId) ?? []), Date.now()]);
  });
  const api = (resources.api = new ResourceServer((token) => auth.isValid(token) && Date.now() < (expiresAt.get(token) ?? Infinity)));
  api.record = false;
  await api.start();
  const started: Started = { auth, api, redis, resources, issuedAt };
  progress(`redis-server ${redis.url}, token endpoint ${auth.tokenEndpoint} (${TOKEN_LIFETIME_S} s tokens), API ${api.url}`);

  const figures: Figures[] = [];
  for (const processes of processCounts) {
    const ofSize = configs.filter((config) => config.processes === processes);
    if (parallel) figures.push(...(await Promise.all(ofSize.map((config) => runConfig(config, durationS, started)))));
    else for (const config of ofSize) figures.push(await runConfig(config, durationS, started));
    for (const f of figures.slice(-ofSize.length)) {
      progress(
        `${label(f)}: ${f.coldTokenRequests} + ${f.runTokenRequests} token requests, ${f.cold.failed + f.run.failed} failed calls, ` +
          (f.store && f.gapsMs ? `tokens issued ${f.gapsMs.median} ms apart (median; shortest ${f.gapsMs.shortest} ms), ` : '') +
          `longest event-loop delay ${f.maxLagMs.cold} ms in the cold start, ${f.maxLagMs.run} ms in the run (${(f.wallMs / 1000).toFixed(1)} s)`,
      );
    }
  }

  const totalS = (Date.now() - startedAt) / 1000;
  const notes = failureNotes(figures);
  const lateStore = storeNotes(figures);
  console.log(
    [
      `## Fleet: token requests of P processes, with and without \`store: redisStore()\``,
      '',
      `${TOKEN_LIFETIME_S} s tokens; cold start: ${COLD_CONCURRENCY} concurrent calls per process; run: ${durationS} s, ${LOOPS} loops per process (a call, then ${LOOP_PAUSE_MS} ms); ` +
        `configurations ${parallel ? 'with and without the store side by side' : 'one after the other'}; ${totalS.toFixed(0)} s in all.`,
      '',
      table(figures),
      '',
      `Span: from the cold start to the end of the run (the run, ${durationS} s, starts once every process has finished its cold start). ` +
        `Bound: one token request per ${TOKEN_LIFETIME_S} s lifetime for the whole fleet over the span, plus one for the cold start: 1 + ⌈span / ${TOKEN_LIFETIME_S} s⌉. ` +
        'Without the store each process fetches its own tokens: about P times as many. ' +
        `S between tokens: how far apart the fleet's tokens were issued (a ${TOKEN_LIFETIME_S} s token is renewed shortly before it expires). ` +
        'Store unavailable: times a process found the store failing or slower than its operation timeout (250 ms) and fetched on its own (`store:unavailable`); ' +
        '401s: tokens the API refused that a process dropped (`token:invalidated`).',
      ...(notes.length > 0 ? ['', 'Failed calls by kind:', ...notes] : []),
      ...(lateStore.length > 0 ? ['', 'Store unavailable (each time, a process fetched on its own for a second):', ...lateStore] : []),
    ].join('\n'),
  );
}

const resources = new Resources();
process.once('exit', () => resources.killNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: ending every process`);
    void resources.end().finally(() => process.exit(130));
  });
}
main(resources)
  .then(() => resources.end())
  .catch(async (error: unknown) => {
    console.error(error);
    await resources.end();
    process.exitCode = 1;
  });
