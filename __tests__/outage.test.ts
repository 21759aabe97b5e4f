import axios from 'axios';
import { oauth2, type OAuth2Handle } from '../lib';
import { clientOptions, useServers } from './support/servers';
import { answer, median, scriptTokenEndpoint, sleep } from './support/token-endpoint-script';

/**
 * The headline of `tokenRetry`: an outage of the authorization server under load costs it
 * a bounded number of token requests, and the first request after it comes back
 * succeeds within the cooldown cap. Default settings throughout.
 *
 * The bound, with the defaults (retries 2, cooldown 1 s doubling, cap 30 s): each fetch
 * makes at most 3 attempts (1 + 2 retries), and after a fetch fails the next may start
 * only once its cooldown has passed: 1 s after the 1st, 2 s after the 2nd, 4 s after the
 * 3rd, 8 s after the 4th. Fetches start at t ≈ 0, ≥ 1 s, ≥ 3 s, ≥ 7 s, and the 5th at
 * ≥ 15 s: within a 10 s outage at most 4 fetches, so at most 4 × 3 = 12 token requests,
 * however many callers there are. The 4th fetch fails by t ≈ 9.4 s at the latest (its
 * start is delayed at most by the earlier fetches' backoffs, < 0.6 s each), so the 5th,
 * the first after the server is back, starts 15 to 17.4 s after the outage began: 5 to
 * 7.4 s after recovery, far under the 30 s cap.
 *
 * The timing is the token manager's, the same whichever axios runs, and 50 loops calling
 * as fast as they can load the machine: this runs in the current-axios project only.
 */
const describeOnce = axios.VERSION === '1.6.0' ? describe.skip : describe;

const OUTAGE_MS = 10_000;
const CALLERS = 50;
const MAX_COOLDOWN_MS = 30_000;
/** 4 fetches of 3 attempts (see above). */
const MAX_TOKEN_REQUESTS = 12;

describeOnce('a 10 s outage of the authorization server, 50 callers looping as fast as they can (default tokenRetry)', () => {
  const servers = useServers();

  interface Outcome {
    tokenRequests: number;
    fetches: number;
    cooldowns: number[];
    calls: number;
    failedCalls: number;
    refusedCalls: number;
    medianFailureMs: number;
    recoveryMs: number;
  }

  /**
   * Runs the outage: `goDown` before the first call, 50 loops on one authorized instance
   * (cold: no token yet), `comeBack` at 10 s; the loops run on until the first call
   * succeeds. `tokenRequests` counts the token requests of the outage (by `countRequests`).
   */
  async function outage(
    goDown: () => Promise<void>,
    comeBack: () => Promise<void>,
    countRequests: (handle: OAuth2Handle) => () => number,
  ): Promise<Outcome> {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const requestCount = countRequests(handle);
    let fetches = 0;
    let refusedCalls = 0;
    const cooldowns: number[] = [];
    handle.on('token:fetch', () => fetches++);
    handle.on('token:failed', (event) => cooldowns.push(event.cooldownMs));
    handle.on('token:cooldown-rejected', () => refusedCalls++);

    await goDown();
    const startedAt = performance.now();
    let stop = false;
    let calls = 0;
    let firstSuccessAt: number | undefined;
    const failureMs: number[] = [];
    const loop = async (): Promise<void> => {
      while (!stop) {
        const started = performance.now();
        calls++;
        try {
          await api.get('/r');
          firstSuccessAt ??= performance.now();
          stop = true;
        } catch {
          failureMs.push(performance.now() - started);
        }
        await new Promise(setImmediate);
      }
    };
    const loops = Array.from({ length: CALLERS }, loop);

    await sleep(startedAt + OUTAGE_MS - performance.now());
    const tokenRequests = requestCount();
    const fetchesDuringOutage = fetches;
    await comeBack();
    const backAt = performance.now();
    // The loops end at the first success; should none come, they are stopped past the cap.
    const giveUp = setTimeout(() => (stop = true), MAX_COOLDOWN_MS + 5_000);
    await Promise.all(loops);
    clearTimeout(giveUp);

    return {
      tokenRequests,
      fetches: fetchesDuringOutage,
      cooldowns,
      calls,
      failedCalls: failureMs.length,
      refusedCalls,
      medianFailureMs: median(failureMs),
      recoveryMs: firstSuccessAt === undefined ? Infinity : firstSuccessAt - backAt,
    };
  }

  function check(name: string, outcome: Outcome): void {
    // The figures, for the record.
    console.log(
      `${name}: ${outcome.tokenRequests} token requests in ${outcome.fetches} fetches during the outage (bound ${MAX_TOKEN_REQUESTS}), ` +
        `cooldowns ${outcome.cooldowns.join(', ')} ms; ${outcome.calls} calls, ${outcome.failedCalls} failed (${outcome.refusedCalls} refused by the cooldown, ` +
        `median failure ${outcome.medianFailureMs.toFixed(3)} ms); first success ${Math.round(outcome.recoveryMs)} ms after the server came back`,
    );
    expect(outcome.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(outcome.tokenRequests).toBeLessThanOrEqual(MAX_TOKEN_REQUESTS);
    expect(outcome.fetches).toBeGreaterThanOrEqual(1);
    expect(outcome.fetches).toBeLessThanOrEqual(4);
    // The cooldowns of the failed fetches: 1 s, doubling.
    expect(outcome.cooldowns).toEqual([1_000, 2_000, 4_000, 8_000].slice(0, outcome.cooldowns.length));
    // Back: the first call succeeds within the cap (by the derivation above, within 7.4 s).
    expect(outcome.recoveryMs).toBeLessThanOrEqual(MAX_COOLDOWN_MS);
    expect(outcome.recoveryMs).toBeLessThanOrEqual(8_000);
    // The callers were busy the whole time, and almost every failure was a refusal at
    // once: a failed call either was refused by the cooldown or waited for one of the
    // fetches, which each loop joins at most once.
    expect(outcome.failedCalls).toBeGreaterThan(1_000);
    expect(outcome.failedCalls - outcome.refusedCalls).toBeLessThanOrEqual(CALLERS * (outcome.cooldowns.length + 1));
    expect(outcome.medianFailureMs).toBeLessThan(5);
  }

  it(`refused connections: at most ${MAX_TOKEN_REQUESTS} token requests (counted by token:attempt), and the first call after recovery succeeds within the cooldown cap`, async () => {
    const outcome = await outage(
      () => servers.auth.goDown(),
      () => servers.auth.restart(),
      (handle) => {
        let attempts = 0;
        handle.on('token:attempt', () => attempts++);
        return () => attempts;
      },
    );
    check('refused connections', outcome);
    expect(servers.auth.requests.length).toBeGreaterThanOrEqual(1); // the one that succeeded
    expect(servers.auth.requests.length).toBeLessThanOrEqual(3);
  }, 60_000);

  it(`503 answered at once: at most ${MAX_TOKEN_REQUESTS} token requests reach the server, and the first call after recovery succeeds within the cooldown cap`, async () => {
    let script: ReturnType<typeof scriptTokenEndpoint> | undefined;
    const outcome = await outage(
      async () => {
        script = scriptTokenEndpoint(servers.auth, [], answer(503, { error: 'temporarily_unavailable' }));
      },
      async () => {
        servers.auth.override = undefined;
      },
      () => () => script!.arrivals.length,
    );
    check('503 outage', outcome);
    expect(servers.auth.requests.length - outcome.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(servers.auth.requests.length - outcome.tokenRequests).toBeLessThanOrEqual(3);
  }, 60_000);
});
