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
  'oauth-client': 'oauth-client-secret',
  'auth-refresh': 'auth-refresh-secret',
};

export type ServerCommand =
  | { id: number; cmd: 'configure'; expiresIn: number; delayMs: number }
  | { id: number; cmd: 'revokeAll' }
  | { id: number; cmd: 'stats' };

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
}

export type ServerMessage =
  | { type: 'ready'; resourceUrl: string; tokenEndpoint: string }
  | { type: 'reply'; id: number; stats?: ServerStats };
