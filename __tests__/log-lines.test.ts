import { InvalidOptionsError } from '../lib/errors';
import { clientFields, EventHub } from '../lib/telemetry/events';
import { reportListenerFailures, resolveLogger, type Logger } from '../lib/telemetry/logger';
import { freshModule } from './support/fresh-module';

/**
 * events.ts and logger.ts loaded inside the calling test: the list of event names a logger
 * subscribes to is a module-level constant (see support/fresh-module.ts).
 */
const fresh = () =>
  freshModule(() => ({
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    events: require('../lib/telemetry/events') as typeof import('../lib/telemetry/events'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy
    logger: require('../lib/telemetry/logger') as typeof import('../lib/telemetry/logger'),
  })) as { events: typeof import('../lib/telemetry/events'); logger: typeof import('../lib/telemetry/logger') };

/**
 * The line each event becomes in the app's log (option `logger`): its level and its exact
 * message, for every event and every variant of it. The README's logging table is these.
 */
function recordingLogger() {
  const lines: [string, string][] = [];
  const record = (level: string) => (fields: unknown, message: unknown) => {
    lines.push([level, String(message)]);
    expect(typeof fields).toBe('object');
  };
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  return { logger, lines };
}

const CLIENT = clientFields({
  tokenEndpoint: 'https://auth.example.com/token',
  clientId: 'billing',
  grant: { type: 'client_credentials' },
  scope: '',
});
const FAILURE_503 = { errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT', errorMessage: 'HTTP 503', status: 503 } as const;
const FAILURE_INVALID_CLIENT = {
  errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
  errorMessage: 'invalid_client',
  status: 401,
  error: 'invalid_client',
} as const;
const FAILURE_NETWORK = { errorCode: 'ERR_OAUTH2_TOKEN_REQUEST', errorMessage: 'connect ECONNREFUSED' } as const;

describe('log lines', () => {
  it.each([
    ['token:fetch', { fetchId: 1, renewal: false }, 'debug', 'fetching an access token'],
    ['token:fetch', { fetchId: 1, renewal: true }, 'debug', 'renewing the access token ahead of expiry'],
    ['token:attempt', { fetchId: 1, renewal: false, attempt: 2 }, 'debug', 'sending token request (attempt 2)'],
    [
      'token:attempt-failed',
      { ...FAILURE_503, fetchId: 1, renewal: false, attempt: 1, durationMs: 5, retryInMs: 180 },
      'warn',
      'token request failed (HTTP 503), attempt 1; retrying in 180 ms',
    ],
    [
      'token:attempt-failed',
      { ...FAILURE_INVALID_CLIENT, fetchId: 1, renewal: false, attempt: 1, durationMs: 5 },
      'debug',
      'token request failed (invalid_client, HTTP 401), attempt 1; no retry',
    ],
    [
      'token:attempt-failed',
      { ...FAILURE_NETWORK, fetchId: 1, renewal: false, attempt: 3, durationMs: 5 },
      'debug',
      'token request failed (ERR_OAUTH2_TOKEN_REQUEST), attempt 3; no retry',
    ],
    [
      'token:issued',
      { fetchId: 1, renewal: false, source: 'endpoint', attempts: 1, durationMs: 12 },
      'info',
      'access token issued in 12 ms',
    ],
    [
      'token:issued',
      { fetchId: 1, renewal: true, source: 'endpoint', attempts: 3, durationMs: 12 },
      'info',
      'access token renewed in 12 ms after 3 attempts',
    ],
    [
      'token:issued',
      { fetchId: 1, renewal: false, source: 'store', attempts: 0, durationMs: 7 },
      'info',
      'access token taken from the shared store in 7 ms (another process fetched it)',
    ],
    [
      'token:issued',
      { fetchId: 1, renewal: true, source: 'store', attempts: 0, durationMs: 7 },
      'info',
      'access token renewed from the shared store in 7 ms (another process fetched it)',
    ],
    [
      'token:failed',
      { ...FAILURE_503, fetchId: 1, renewal: false, attempts: 3, durationMs: 900, cooldownMs: 1_000, tokenStillValid: false },
      'error',
      'token fetch failed (HTTP 503) after 3 attempts; requests that need a new token fail at once for 1000 ms (cooldown)',
    ],
    [
      'token:failed',
      { ...FAILURE_NETWORK, fetchId: 1, renewal: true, attempts: 1, durationMs: 9, cooldownMs: 0, tokenStillValid: true },
      'warn',
      'token renewal failed (ERR_OAUTH2_TOKEN_REQUEST) after 1 attempt; the cached token still serves requests until it expires',
    ],
    [
      'token:failed',
      { ...FAILURE_INVALID_CLIENT, fetchId: 1, renewal: false, attempts: 1, durationMs: 9, cooldownMs: 0, tokenStillValid: false },
      'error',
      'token fetch failed (invalid_client, HTTP 401) after 1 attempt',
    ],
    ['token:invalidated', { reason: 'unauthorized' }, 'info', 'cached access token dropped: a request with it was answered 401'],
    ['token:invalidated', { reason: 'manual' }, 'info', 'cached access token dropped: handle.invalidate() was called'],
    [
      'token:cooldown-rejected',
      { ...FAILURE_503, remainingMs: 640 },
      'debug',
      'request refused: the token endpoint cools down for another 640 ms after a failed fetch (HTTP 503)',
    ],
    [
      'store:unavailable',
      { errorMessage: 'timed out after 250 ms' },
      'warn',
      'token store unavailable (timed out after 250 ms): this process fetches its own tokens until the store answers again',
    ],
    ['store:available', { unavailableForMs: 4_200 }, 'info', 'token store available again after 4200 ms: tokens are shared again'],
    [
      'request:replay',
      { method: 'GET', url: 'https://api.example.com/orders', replay: 1 },
      'info',
      'GET https://api.example.com/orders answered 401; replaying with a fresh token (replay 1)',
    ],
  ])('%s %j: %s, %s', (name, fields, level, message) => {
    const { logger, lines } = recordingLogger();
    const { events, logger: logging } = fresh();
    const hub = new events.EventHub(CLIENT);
    logging.logEvents(hub, logger);
    hub.emit(name as never, fields as never);
    expect(lines).toEqual([[level, `oauth2: ${message}`]]);
  });

  it('an app listener that throws is reported as a warning, with its error’s name and message when it is an Error', () => {
    const { logger, lines } = recordingLogger();
    const fields: unknown[] = [];
    const spy: Logger = {
      ...logger,
      warn: (f: unknown, message: unknown) => {
        fields.push(f);
        (logger.warn as (...args: unknown[]) => void)(f, message);
      },
    };
    const hub = new EventHub(CLIENT, reportListenerFailures(spy));
    hub.on('token:fetch', () => {
      throw new RangeError('bad listener');
    });
    hub.on('token:fetch', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- an app may throw anything; that is what is tested
      throw 'a string';
    });
    hub.emit('token:fetch', { fetchId: 1, renewal: false });
    expect(lines).toEqual([
      ['warn', 'oauth2: an event listener of token:fetch threw RangeError; the request went on'],
      ['warn', 'oauth2: an event listener of token:fetch threw string; the request went on'],
    ]);
    expect(fields).toEqual([
      { event: 'token:fetch', errorName: 'RangeError', errorMessage: 'bad listener' },
      { event: 'token:fetch', errorName: 'string' },
    ]);
  });

  it.each([null, 'console', 42])('logger %p is refused, naming every method it lacks', (value) => {
    expect(() => resolveLogger(value)).toThrow(InvalidOptionsError);
    expect(() => resolveLogger(value)).toThrow(/missing debug, info, warn, error$/);
  });

  it('the client fields of events leave out what is not set', () => {
    const bare = clientFields({ tokenEndpoint: 'https://auth.example.com/token', clientId: undefined, grant: { type: 'jwt' }, scope: '' });
    expect(bare).toEqual({ tokenEndpoint: 'https://auth.example.com/token', grantType: 'jwt' });
    expect(CLIENT).toEqual({ tokenEndpoint: 'https://auth.example.com/token', grantType: 'client_credentials', clientId: 'billing' });
  });
});
