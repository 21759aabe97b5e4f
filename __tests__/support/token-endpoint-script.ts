import type http from 'node:http';
import type { AuthorizationServer } from '../../examples/servers/authorization-server';

/** How the token endpoint answers one request instead of issuing a token. */
export type Fault = (res: http.ServerResponse) => void;

/** Answers `status` with a JSON body (none when `body` is undefined) and extra headers. */
export function answer(status: number, body?: unknown, headers: http.OutgoingHttpHeaders = {}): Fault {
  return (res) => {
    if (body === undefined) {
      res.writeHead(status, { 'Content-Length': '0', ...headers }).end();
      return;
    }
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers }).end(payload);
  };
}

/** Cuts the connection without answering (the client sees a reset / socket hang up). */
export const resetConnection: Fault = (res) => {
  res.socket?.destroy();
};

/** What the token endpoint saw: the arrival time of each token request, on performance.now()'s clock. */
export interface Script {
  readonly arrivals: number[];
  /** Gaps between consecutive arrivals, in ms. */
  gaps(): number[];
}

/**
 * Takes over the answers of `auth`'s token endpoint: the n-th token request gets
 * `faults[n]` (null: the real answer, a token), and every one past the list gets `then`
 * (default null: real tokens). Records when each request arrived, on the server side.
 */
export function scriptTokenEndpoint(auth: AuthorizationServer, faults: readonly (Fault | null)[], then: Fault | null = null): Script {
  const arrivals: number[] = [];
  auth.override = (_req, res) => {
    const index = arrivals.length;
    arrivals.push(performance.now());
    const fault = index < faults.length ? faults[index] : then;
    if (fault === null) return false;
    fault(res);
    return true;
  };
  return {
    arrivals,
    gaps: () => arrivals.slice(1).map((at, i) => at - arrivals[i]),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How a promise settles, with the time it took (ms). */
export async function timed<T>(
  promise: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await promise();
    return { ok: true, value, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - started };
  }
}

/** What a loop of calls saw: how many it made, how many failed, and how long each failure took (ms). */
export interface Hammered {
  calls: number;
  failures: number;
  failureMs: number[];
}

/**
 * Calls `call` over and over, one at a time, letting the event loop breathe between calls
 * (setImmediate), until `done()` holds (checked before each call) or `maxMs` has passed.
 */
export async function hammer(call: () => Promise<unknown>, done: () => boolean, maxMs = 10_000): Promise<Hammered> {
  const result: Hammered = { calls: 0, failures: 0, failureMs: [] };
  const stopAt = performance.now() + maxMs;
  while (!done() && performance.now() < stopAt) {
    const started = performance.now();
    result.calls++;
    try {
      await call();
    } catch {
      result.failures++;
      result.failureMs.push(performance.now() - started);
    }
    await new Promise(setImmediate);
  }
  return result;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
