import { Console } from 'node:console';
import { InvalidOptionsError } from '../errors';
import {
  EVENT_NAMES,
  type EventHub,
  type FailureFields,
  type ListenerFailure,
  type OAuth2Event,
  type OAuth2EventMap,
  type OAuth2EventName,
} from './events';

/**
 * Option `logger`: anything with `debug`, `info`, `warn` and `error` methods, such as
 * `console`, a pino logger or a winston logger.
 */
export interface Logger {
  /** Token fetches and attempts, cooldown refusals: detail for troubleshooting. */
  debug(...args: never[]): unknown;
  /** Tokens issued and renewed, invalidations, 401 replays. */
  info(...args: never[]): unknown;
  /** Failed attempts that will be retried; a failed renewal while the token still serves. */
  warn(...args: never[]): unknown;
  /** Token fetches that failed for good. */
  error(...args: never[]): unknown;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Checks option `logger`. */
export function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const missing =
    value === null || typeof value !== 'object'
      ? LEVELS
      : LEVELS.filter((level) => typeof (value as Record<string, unknown>)[level] !== 'function');
  if (missing.length > 0) {
    throw new InvalidOptionsError(
      'logger',
      `expected an object with debug, info, warn and error methods (console, pino, winston); missing ${missing.join(', ')}`,
    );
  }
  return value as Logger;
}

type Level = (typeof LEVELS)[number];

/** One log line: how loud, and what a person reads; the fields are the event's own. */
interface LogLine {
  level: Level;
  message: string;
}

/**
 * The level and message of each event. Fields are never put in the message: they go to
 * the logger as a structured object, so a log pipeline can filter and aggregate on them.
 *
 * | Event                     | Level | Why                                                              |
 * | ------------------------- | ----- | ---------------------------------------------------------------- |
 * | `token:fetch`             | debug | routine; the outcome (`token:issued`/`token:failed`) is what counts |
 * | `token:attempt`           | debug | routine, one per HTTP token request                              |
 * | `token:attempt-failed`    | warn  | with `retryInMs`: a retry follows, the app may not notice        |
 * |                           | debug | without `retryInMs`: `token:failed` follows and says it louder   |
 * | `token:issued`            | info  | once per token (the message says whether it was a renewal)       |
 * | `token:failed`            | error | callers get the error; the message states the cooldown           |
 * |                           | warn  | `tokenStillValid`: a renewal failed, the cached token still serves |
 * | `token:invalidated`       | info  | rare, and explains the fetch that follows                        |
 * | `token:cooldown-rejected` | debug | once per refused request (high volume); `token:failed` said why  |
 * | `request:replay`          | info  | a 401 answered by the API, retried with a fresh token            |
 */
const LINES: { [Name in OAuth2EventName]: (event: OAuth2Event<Name>) => LogLine } = {
  'token:fetch': (event) => ({
    level: 'debug',
    message: event.renewal ? 'renewing the access token ahead of expiry' : 'fetching an access token',
  }),
  'token:attempt': (event) => ({ level: 'debug', message: `sending token request (attempt ${event.attempt})` }),
  'token:attempt-failed': (event) =>
    event.retryInMs === undefined
      ? { level: 'debug', message: `token request failed (${failureSummary(event)}), attempt ${event.attempt}; no retry` }
      : {
          level: 'warn',
          message: `token request failed (${failureSummary(event)}), attempt ${event.attempt}; retrying in ${event.retryInMs} ms`,
        },
  'token:issued': (event) => ({
    level: 'info',
    message:
      event.source === 'store'
        ? `${event.renewal ? 'access token renewed' : 'access token taken'} from the shared store in ${event.durationMs} ms (another process fetched it)`
        : `${event.renewal ? 'access token renewed' : 'access token issued'} in ${event.durationMs} ms${event.attempts > 1 ? ` after ${event.attempts} attempts` : ''}`,
  }),
  'token:failed': (event) => ({ level: event.tokenStillValid ? 'warn' : 'error', message: tokenFailedMessage(event) }),
  'token:invalidated': (event) => ({ level: 'info', message: `cached access token dropped: ${INVALIDATION_REASONS[event.reason]}` }),
  'token:cooldown-rejected': (event) => ({
    level: 'debug',
    message: `request refused: the token endpoint cools down for another ${event.remainingMs} ms after a failed fetch (${failureSummary(event)})`,
  }),
  'store:unavailable': (event) => ({
    level: 'warn',
    message: `token store unavailable (${event.errorMessage}): this process fetches its own tokens until the store answers again`,
  }),
  'store:available': (event) => ({
    level: 'info',
    message: `token store available again after ${event.unavailableForMs} ms: tokens are shared again`,
  }),
  'request:replay': (event) => ({
    level: 'info',
    message: `${event.method} ${event.url} answered 401; replaying with a fresh token (replay ${event.replay})`,
  }),
};

const INVALIDATION_REASONS: Record<OAuth2EventMap['token:invalidated']['reason'], string> = {
  unauthorized: 'a request with it was answered 401',
  manual: 'handle.invalidate() was called',
};

/** `invalid_client, HTTP 401`, `HTTP 503`, or the error code when the server never answered. */
function failureSummary(failure: FailureFields): string {
  const parts = [failure.error, failure.status === undefined ? undefined : `HTTP ${failure.status}`].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : failure.errorCode;
}

function tokenFailedMessage(event: OAuth2Event<'token:failed'>): string {
  const what = `${event.renewal ? 'token renewal' : 'token fetch'} failed (${failureSummary(event)}) after ${event.attempts} attempt${event.attempts === 1 ? '' : 's'}`;
  const consequences: string[] = [];
  if (event.tokenStillValid) consequences.push('the cached token still serves requests until it expires');
  if (event.cooldownMs > 0) consequences.push(`requests that need a new token fail at once for ${event.cooldownMs} ms (cooldown)`);
  return consequences.length > 0 ? `${what}; ${consequences.join('; ')}` : what;
}

/** The prefix of every message: in a shared log, it tells which library speaks. */
const PREFIX = 'oauth2: ';

/**
 * Logs every event of `hub` to `logger`, one line per event (see LINES for the levels),
 * the event's fields as a structured object. The fields are the events' own, which carry
 * no credential and no token. A logger that throws is ignored: logging never breaks a request.
 */
export function logEvents(hub: EventHub, logger: Logger): void {
  const write = lineWriter(logger);
  for (const name of EVENT_NAMES) subscribe(hub, name, write);
}

// The type parameter ties `name` to the event its line is built from.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function subscribe<Name extends OAuth2EventName>(hub: EventHub, name: Name, write: LineWriter): void {
  hub.on(name, (event) => write(LINES[name](event), { ...event }));
}

type LineWriter = (line: LogLine, fields: Record<string, unknown>) => void;

/** Writes a line in the argument order `logger` understands. */
function lineWriter(logger: Logger): LineWriter {
  const messageFirst = takesMessageFirst(logger);
  const log = logger as unknown as Record<LogLine['level'], (...args: unknown[]) => unknown>;
  return ({ level, message }, fields) => {
    try {
      if (messageFirst) log[level](PREFIX + message, fields);
      else log[level](fields, PREFIX + message);
    } catch {
      // Handled here rather than by the EventHub, which would report it to this very
      // logger as an app listener's failure.
    }
  };
}

/**
 * Whether `logger` wants `(message, fields)` rather than `(fields, message)`. pino and
 * bunyan take the fields object first (`logger.info({ clientId }, 'issued')`), and that is
 * the default for any other logger. winston takes the message first: given an object
 * first, it logs the object as the `message` and drops the fields' structure. `console`
 * prints either, but reads better message first. winston (2 and 3, child loggers too) is
 * recognised by its `log` method and `transports` property, which neither pino nor bunyan
 * has; `console` (the global one, `new Console(stream)`, jest's) by Node's own instanceof check.
 */
function takesMessageFirst(logger: Logger): boolean {
  const isWinston = typeof (logger as { log?: unknown }).log === 'function' && 'transports' in logger;
  return isWinston || logger instanceof Console;
}

/**
 * An EventHub `onListenerFailure` that reports an app's event listener that threw, as a
 * warning: the request went on, but the app's own listener is broken. The error is the
 * app's, thrown by the app's code: its name and message are shown as they are.
 */
export function reportListenerFailures(logger: Logger): ListenerFailure {
  const write = lineWriter(logger);
  return (error, event) => {
    const errorName = error instanceof Error ? error.name : typeof error;
    const errorMessage = error instanceof Error ? error.message : undefined;
    const fields = errorMessage === undefined ? { event, errorName } : { event, errorName, errorMessage };
    write({ level: 'warn', message: `an event listener of ${event} threw ${errorName}; the request went on` }, fields);
  };
}
