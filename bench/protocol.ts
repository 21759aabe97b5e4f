/**
 * Messages between the benchmark (client process) and its server child process, which
 * runs the authorization server and the resource server so that the client's
 * process.cpuUsage() counts the client alone.
 */

/** One OAuth client per contender, so the authorization server can count each one's token requests. */
export const CLIENT_SECRETS: Readonly<Record<string, string>> = {
  baseline: 'baseline-secret',
  control: 'control-secret',
  plugin: 'plugin-secret',
  'plugin-no-retry': 'plugin-no-retry-secret',
  'oauth-client': 'oauth-client-secret',
  'auth-refresh': 'auth-refresh-secret',
};

export type ServerCommand =
  | { id: number; cmd: 'configure'; expiresIn: number; delayMs: number }
  | { id: number; cmd: 'revokeAll' }
  | { id: number; cmd: 'stats' }
  /** Opens a gate per name (see OutageState) and replies with each gate's token endpoint URL. */
  | { id: number; cmd: 'openGates'; names: string[] }
  /** Takes the token endpoint down as `state` says, or back up; replies with the stats at the switch. */
  | { id: number; cmd: 'outage'; state: OutageState };

/**
 * How the token endpoint behaves, for the clients that reach it through a gate: a TCP
 * front door per client, on a port of its own, that forwards to the authorization server
 * while it is `up`. `reset`: the gate accepts each connection and resets it at once
 * (counted per gate; a client sees ECONNRESET, an immediate network failure like a
 * refused connection, but one the server can count), and drops the connections it was
 * forwarding. `503`: every token request is answered `503 Service Unavailable` (no
 * Retry-After), counted by client id like any token request.
 */
export type OutageState = 'up' | 'reset' | '503';

/** Request header with the client's clock() when the request was started. */
export const STARTED_AT_HEADER = 'x-bench-started-at';

/**
 * Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC on Linux), so the
 * client and the server process read the same clock. performance.now() would not do:
 * each process has its own time origin.
 */
export function clock(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface ServerStats {
  /** Token requests received so far, by client id. */
  tokenRequests: Record<string, number>;
  /**
   * Resource requests, by client id, that carry a token issued after the request was
   * started (so they waited for its fetch), not counting each client's first token
   * since the last `configure`. Only requests with a STARTED_AT_HEADER count.
   */
  waitedAfterFirst: Record<string, number>;
  /** Resource requests answered 401 (no token, or one unknown, revoked or expired). */
  refused: number;
  /** Connections each gate reset while in the `reset` state, by gate name. */
  resetConnections: Record<string, number>;
}

export type ServerMessage =
  | { type: 'ready'; resourceUrl: string; tokenEndpoint: string }
  | { type: 'reply'; id: number; stats?: ServerStats; gates?: Record<string, string> };
