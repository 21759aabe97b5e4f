/**
 * Child process of the outage scenario (outage.ts): one client, its callers, its counts.
 * A process per client, so that a client whose calls fail without any I/O (the plugin's
 * cooldown) cannot slow the other clients' event loops: they share the machine's cores,
 * as separate apps would, and nothing else.
 *
 * Messages from the parent, in this order: 'start' (the token endpoint is down: create the
 * client and loop), 'recovering' (sent just before the endpoint comes back: from now on
 * calls count as after the recovery), 'stop' (report and exit). The child says 'ready'
 * once warmed up, and reports an OutageChildReport.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import axios, { type AxiosInstance } from 'axios';
import type * as Plugin from '../lib';
import { RESOURCE_PATH, SETUPS, type Endpoints } from './contenders';
import { failureKind, runCount, sleep } from './load';
import { CLIENT_SECRETS } from './protocol';
import type { CallCounts, OutageChildJob, OutageChildMessage, OutageChildReport, OutageClient, OutageParentMessage } from './outage';

type Setup = (instance: AxiosInstance, endpoints: Endpoints) => void | Promise<void>;

/** How each client authorizes an instance; the plugin is the built package, which the parent built if needed. */
function setupOf(client: OutageClient): Setup {
  if (client === 'oauth-client' || client === 'auth-refresh') return SETUPS[client];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built package, loaded only for the plugin's clients (lib/'s types stand in)
  const { oauth2 } = require('../dist/index.js') as typeof Plugin;
  const tokenRetry = client === 'plugin-no-retry' ? { tokenRetry: false as const } : {};
  return (instance, { tokenEndpoint }) => {
    oauth2(instance, { tokenEndpoint, clientId: client, clientSecret: CLIENT_SECRETS[client], ...tokenRetry });
  };
}

async function authorizedSend(setup: Setup, endpoints: Endpoints, agent: http.Agent): Promise<() => Promise<unknown>> {
  const instance = axios.create({ baseURL: endpoints.resourceUrl, httpAgent: agent });
  await setup(instance, endpoints);
  return () => instance.get(RESOURCE_PATH);
}

const emptyCounts = (): CallCounts => ({ ok: 0, failed: 0, errors: {} });

function send(message: OutageChildMessage): void {
  process.send?.(message);
}

/** The next message from the parent of the given type. */
function next(type: OutageParentMessage['type']): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: OutageParentMessage): void => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_OUTAGE_JOB ?? '') as OutageChildJob;
  const setup = setupOf(job.client);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency, timeout: 4_000 });
  const started = next('start');
  const recovering = next('recovering');
  const stopping = next('stop');

  // Warm-up while the endpoint is up, on a throwaway instance: the JIT, and the API sockets of the agent.
  // One call alone first: axios-auth-refresh fails the calls whose 401 arrives during its first refresh.
  const warm = await authorizedSend(setup, job.endpoints, agent);
  await warm();
  const { failed } = await runCount(warm, job.concurrency * 20, job.concurrency);
  if (failed > 0) throw new Error(`outage warm-up: ${failed} calls of ${job.client} failed with the token endpoint up`);
  send({ type: 'ready' });

  await started;
  const call = await authorizedSend(setup, job.endpoints, agent);
  const during = emptyCounts();
  const after = emptyCounts();
  let recoveredAt: number | undefined;
  let firstSuccessMs: number | undefined;
  let stopped = false;
  let pending = 0;
  void recovering.then(() => (recoveredAt = performance.now()));
  void stopping.then(() => (stopped = true));

  const settled = (error: unknown, ok: boolean): void => {
    const counts = recoveredAt === undefined ? during : after;
    if (ok) {
      counts.ok++;
      if (recoveredAt !== undefined && firstSuccessMs === undefined) firstSuccessMs = performance.now() - recoveredAt;
      return;
    }
    counts.failed++;
    const kind = failureKind(error);
    counts.errors[kind] = (counts.errors[kind] ?? 0) + 1;
  };
  const caller = async (): Promise<void> => {
    while (!stopped) {
      pending++;
      try {
        await call();
        settled(undefined, true);
      } catch (error) {
        settled(error, false);
      }
      pending--;
      // Calls that fail without I/O would otherwise never let a timer or a socket event through.
      await yieldToEventLoop();
    }
  };
  const callers = Promise.all(Array.from({ length: job.concurrency }, caller));
  await stopping;
  await Promise.race([callers, sleep(job.drainMs)]);
  const report: OutageChildReport = { type: 'report', during, after, firstSuccessMs, pendingAtEnd: pending };
  process.send?.(report, () => process.exit(0));
}

// The parent owns this process: when it goes away, so do we.
process.on('disconnect', () => process.exit(0));
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
