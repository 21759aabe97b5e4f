/**
 * One process of the fleet benchmark (fleet.ts): an app's process with one axios instance
 * authorized by the built package (dist/), with or without `store: redisStore(redis)`
 * (node-redis). It says 'ready' once its Redis client is connected, then on 'cold' fires
 * `coldConcurrency` calls at once and reports, on 'run' loops `loops` callers (a call,
 * then a pause) until the run ends and reports, on 'stop' closes its client and exits.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import axios from 'axios';
import { createClient } from 'redis';
import type * as Plugin from '../lib';
import { failureKind } from './load';
import type { CallCounts, FleetMemberJob, FleetMemberMessage, FleetParentMessage, MemberEvents } from './fleet';

// The built package, as an app gets it (the parent built it if it was stale).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { oauth2, redisStore } = require('../dist/index.js') as typeof Plugin;

function send(message: FleetMemberMessage): void {
  process.send?.(message);
}

function counter(): CallCounts & { settle(call: Promise<unknown>): Promise<void> } {
  const counts: CallCounts = { ok: 0, failed: 0, errors: {} };
  return Object.assign(counts, {
    async settle(call: Promise<unknown>): Promise<void> {
      try {
        await call;
        counts.ok++;
      } catch (error) {
        counts.failed++;
        const kind = failureKind(error);
        counts.errors[kind] = (counts.errors[kind] ?? 0) + 1;
      }
    },
  });
}

const report = ({ ok, failed, errors }: CallCounts): CallCounts => ({ ok, failed, errors });

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_FLEET_JOB ?? '') as FleetMemberJob;
  const redis = job.redisUrl === undefined ? undefined : createClient({ url: job.redisUrl });
  redis?.on('error', (error: Error) => console.error(`[fleet member ${process.pid}] redis: ${error.message}`));
  await redis?.connect();

  // Idle sockets go after 4 s, before the API's keep-alive timeout (5 s) could close one under a request (ECONNRESET).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 });
  const api = axios.create({ baseURL: job.apiUrl, httpAgent: agent, timeout: job.callTimeoutMs });
  const handle = oauth2(api, {
    tokenEndpoint: job.tokenEndpoint,
    clientId: job.clientId,
    clientSecret: job.clientSecret,
    ...(redis === undefined ? {} : { store: redisStore(redis) }),
  });
  // Why this process made the token requests it made.
  const events: MemberEvents = { fetched: 0, storeUnavailable: 0, unauthorized: 0 };
  handle.on('token:issued', ({ source }) => {
    if (source === 'endpoint') events.fetched++;
  });
  handle.on('store:unavailable', ({ errorMessage }) => {
    events.storeUnavailable++;
    console.error(`[fleet member ${process.pid}] store:unavailable during the ${phase}: ${errorMessage}`);
  });
  handle.on('token:invalidated', ({ reason }) => {
    if (reason === 'unauthorized') events.unauthorized++;
  });
  let phase = 'start-up';
  // How late this process's event loop ran: a store operation answered late by a loop this
  // busy still counts against the operation timeout.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const maxLagMs = (): number => {
    const ms = Math.round(lag.max / 1e6);
    lag.reset();
    return ms;
  };
  let sequence = 0;
  const call = (): Promise<unknown> => api.get(`/fleet/${process.pid}/${sequence++}`);

  process.on('message', (message: FleetParentMessage) => {
    void (async () => {
      if (message.type === 'cold') {
        phase = 'cold start';
        maxLagMs();
        const counts = counter();
        await Promise.all(Array.from({ length: job.coldConcurrency }, () => counts.settle(call())));
        send({ type: 'cold-done', counts: report(counts), maxLagMs: maxLagMs() });
      } else if (message.type === 'run') {
        phase = 'run';
        const counts = counter();
        const endAt = Date.now() + message.durationMs;
        const loop = async (): Promise<void> => {
          // Spread the loops' first calls over one pause, so the rate is steady from the start.
          await sleep(Math.random() * job.loopPauseMs);
          while (Date.now() < endAt) {
            await counts.settle(call());
            await sleep(job.loopPauseMs);
          }
        };
        await Promise.all(Array.from({ length: job.loops }, loop));
        send({ type: 'run-done', counts: report(counts), events, maxLagMs: maxLagMs() });
      } else {
        // 'stop'
        agent.destroy();
        if (redis?.isOpen) redis.destroy();
        process.exit(0);
      }
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
  send({ type: 'ready' });
}

// The parent owns this process: when it goes away, so do we.
process.on('disconnect', () => process.exit(0));
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
