/** The outage scenario's table, notes and target (outage.ts measures). */
import { cooldownMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../lib/token/retry-policy';
import { OUTAGE_CLIENTS, OUTAGE_LABELS, OUTAGE_MODE_LABELS, OUTAGE_MODES, type CallCounts, type OutageResults } from './outage';
import { decided, type Verdict } from './verdicts';

const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/**
 * The most token requests a client with `policy` can send while the token endpoint is
 * down for `seconds`, every request in between needing a token. Fetch 1 starts at t ≈ 0;
 * fetch k + 1 cannot start before fetch k has failed and the k-th cooldown has passed,
 * so not before the sum of the first k cooldowns (1 s, 2 s, 4 s …: t ≥ 1, 3, 7, 15 s).
 * Each fetch sends at most 1 + `retries` token requests.
 */
export function outageBound(seconds: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): { fetchStartsMs: number[]; requests: number } {
  // Without a cooldown nothing bounds them but the speed of the failures.
  if (policy.cooldownMs === 0) return { fetchStartsMs: [], requests: Infinity };
  const fetchStartsMs: number[] = [];
  for (let start = 0, fetch = 1; start < seconds * 1000; start += cooldownMs(policy, fetch, undefined), fetch++) fetchStartsMs.push(start);
  return { fetchStartsMs, requests: fetchStartsMs.length * (policy.retries + 1) };
}

/** `412,345 (ERR_CANCELED 400,000, ECONNRESET 12,345)`; a single kind without its count. */
function calls({ failed, errors }: CallCounts): string {
  const kinds = Object.entries(errors).sort(([, a], [, b]) => b - a);
  if (kinds.length === 0) return int(failed);
  if (kinds.length === 1) return `${int(failed)} (${kinds[0][0]})`;
  return `${int(failed)} (${kinds.map(([kind, count]) => `${kind} ${int(count)}`).join(', ')})`;
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return 'none';
  return ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function outageTable(results: OutageResults): string {
  const bound = outageBound(results.outageSeconds).requests;
  const header = [
    'Client',
    'token endpoint',
    `token requests in the ${results.outageSeconds} s outage`,
    'calls failed in the outage',
    'recovery → first success',
    `token requests in the ${results.recoverySeconds} s after`,
    'calls OK after',
    'calls failed after',
  ];
  const rows: string[][] = [];
  for (const mode of OUTAGE_MODES) {
    for (const client of OUTAGE_CLIENTS) {
      const f = results.byMode[mode][client];
      rows.push([
        OUTAGE_LABELS[client],
        OUTAGE_MODE_LABELS[mode],
        client === 'plugin' ? `${int(f.tokenRequests)} (bound ${bound})` : int(f.tokenRequests),
        calls(f.during),
        seconds(f.firstSuccessMs),
        int(f.tokenRequestsAfter),
        int(f.after.ok),
        calls(f.after),
      ]);
    }
  }
  const rule = header.map((_, index) => (index < 2 ? ':---' : '---:'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function outageNotes(results: OutageResults): string {
  const { fetchStartsMs, requests } = outageBound(results.outageSeconds);
  const starts = fetchStartsMs.map((ms, index) => (index === 0 ? 't ≈ 0' : `≥ ${ms / 1000} s`)).join(', ');
  return [
    `The token endpoint is down for ${results.outageSeconds} s, then up for ${results.recoverySeconds} s, while ${results.concurrency} callers per client loop on one authorized axios instance each ` +
      'against the loopback API as fast as they can (yielding to the event loop between calls); the four clients side by side, each in a process of its own, ' +
      'each created without a token as the outage starts, so every call needs one until a fetch succeeds. ' +
      'Token requests are counted by the server, through a TCP gate per client: with connections reset, each connection the gate accepted and reset at once ' +
      '(the client sees ECONNRESET, an immediate network failure like a refused connection, but one the server can count); with 503 answers (no Retry-After), each HTTP token request. ' +
      'A call counts in the outage or after it by when it settled. The plugin is the built package (dist/: ' +
      `${results.build}).`,
    `Bound: with the defaults a fetch makes at most ${DEFAULT_RETRY_POLICY.retries + 1} attempts (${DEFAULT_RETRY_POLICY.retries} retries, jittered backoff), and after it fails ` +
      `requests fail at once for a cooldown of ${DEFAULT_RETRY_POLICY.cooldownMs / 1000} s, doubling up to ${DEFAULT_RETRY_POLICY.maxCooldownMs / 1000} s, so fetches start at ${starts}: ` +
      `at most ${requests} token requests in ${results.outageSeconds} s, whatever the load. The price is the recovery: the first fetch after the endpoint is back ` +
      `waits for the cooldown in force (after ${fetchStartsMs.length} failed fetches, ${cooldownMs(DEFAULT_RETRY_POLICY, fetchStartsMs.length, undefined) / 1000} s from the last failure), ` +
      'while the clients that keep asking recover at once.',
    'The peers: axios-token-interceptor serializes fetches behind a lock and keeps no failure, so each call in the queue sends its own token request ' +
      'when the one before it has failed: one token request per failed call, one at a time. axios-auth-refresh (with no token at first, as its README ' +
      'shows) sends each call with `Bearer null` and takes the 401 as the cue for one shared refresh; calls started during the refresh wait for it and fail with it ' +
      '(ERR_CANCELED), calls whose 401 arrives during it fail with that 401, and the next 401 starts the next refresh at once. Neither waits between failures. ' +
      '`tokenRetry: false` is the plugin before #10: one shared token request per wave of calls, with no wait either.',
  ].join('\n\n');
}

export function outageSection(results: OutageResults): string {
  return ['### Token endpoint outage', outageTable(results), outageNotes(results)].join('\n\n');
}

/** The plugin with its defaults stays within the bound in each kind of outage, and recovers within the run. */
export function outageVerdicts(results: OutageResults): Verdict[] {
  const bound = outageBound(results.outageSeconds).requests;
  return OUTAGE_MODES.map((mode) => {
    const f = results.byMode[mode].plugin;
    const baseline = results.byMode[mode]['plugin-no-retry'];
    return decided(
      f.tokenRequests <= bound && f.firstSuccessMs !== undefined,
      `outage with ${OUTAGE_MODE_LABELS[mode]}`,
      'exact count at the server',
      `token requests during a ${results.outageSeconds} s outage ≤ ${bound} and a success within ${results.recoverySeconds} s of the recovery: ` +
        `${int(f.tokenRequests)} token requests (\`tokenRetry: false\`: ${int(baseline.tokenRequests)}), first success ${seconds(f.firstSuccessMs)} after the recovery`,
    );
  });
}
