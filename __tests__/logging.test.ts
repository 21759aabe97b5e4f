import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format } from 'node:util';
import pino from 'pino';
import winston from 'winston';
import { oauth2, TokenEndpointError, type Logger, type OAuth2Options } from '../lib';
import { basicCredentials, formEncode } from './support/encodings';
import { rejectionOf } from './support/options';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers, type Servers } from './support/servers';

/**
 * Option `logger`, with three real loggers writing to memory: a Node Console, pino (JSON)
 * and winston (JSON through a Stream transport). Each one's output is parsed back into
 * lines, so the tests see what an operator's log would hold: the level, the message, and
 * the fields as fields. After every test, everything each logger wrote is searched for
 * the client secret, the Basic credentials and every access token the server issued.
 */

type Level = 'debug' | 'info' | 'warn' | 'error';

/** One line as the logger recorded it. */
interface Line {
  level: Level;
  message: string;
  fields: Record<string, unknown>;
}

interface CapturingLogger {
  logger: Logger;
  lines(): Line[];
  /** Everything the logger wrote, as written. */
  output(): string;
}

/** A Writable that keeps what is written to it. */
function memoryStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/**
 * A Console on memory streams. Its methods are spied on (calling through, so the text is
 * really printed): what it printed is text, and the call's arguments show whether the
 * fields came as an object.
 */
function captureConsole(): CapturingLogger {
  const out = memoryStream();
  const err = memoryStream();
  const logger = new Console({ stdout: out.stream, stderr: err.stream });
  const calls: { level: Level; args: unknown[] }[] = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    const original = logger[level].bind(logger);
    logger[level] = (...args: unknown[]) => {
      calls.push({ level, args });
      original(...args);
    };
  }
  return {
    logger,
    lines: () =>
      calls.map(({ level, args }) => {
        // Message first, then the fields object: console prints both, the message leading.
        expect(args).toHaveLength(2);
        expect(typeof args[0]).toBe('string');
        expect(args[1]).toEqual(expect.any(Object));
        return { level, message: args[0] as string, fields: args[1] as Record<string, unknown> };
      }),
    output: () => out.text() + err.text() + calls.map(({ args }) => format(...args)).join('\n'),
  };
}

/** pino writing JSON lines (its default) to memory. */
function capturePino(): CapturingLogger {
  const { stream, text } = memoryStream();
  const logger = pino({ level: 'debug', base: undefined, timestamp: false }, stream);
  return {
    logger,
    lines: () =>
      jsonLines(text()).map(({ level, msg, ...fields }) => ({
        level: logger.levels.labels[level as number] as Level,
        message: msg as string,
        fields,
      })),
    output: text,
  };
}

/** winston with its json format and a Stream transport to memory. */
function captureWinston(child = false): CapturingLogger {
  const { stream, text } = memoryStream();
  const parent = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- winston types its transports as interfaces over TransportStream; at run time Stream extends it
    transports: [new winston.transports.Stream({ stream })],
  });
  const logger = child ? parent.child({ service: 'billing' }) : parent;
  return {
    logger,
    lines: () => jsonLines(text()).map(({ level, message, ...fields }) => ({ level: level as Level, message: message as string, fields })),
    output: text,
  };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const LOGGERS: [string, () => CapturingLogger][] = [
  ['console', captureConsole],
  ['pino', capturePino],
  ['winston', () => captureWinston()],
  ['a winston child logger', () => captureWinston(true)],
];

/** Retries without waiting long, so that tests of failures stay fast. */
const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 20 };
const WRONG_SECRET = 'n0t-the-Secr3t!';

/** What must never be logged, in the forms it could take. */
function secretNeedles(servers: Servers): [string, string][] {
  const needles: [string, string][] = [];
  for (const secret of [CLIENT_SECRET, WRONG_SECRET]) {
    needles.push(
      [`secret ${secret}`, secret],
      [`form-encoded secret ${secret}`, formEncode(secret)],
      [`Basic credentials with ${secret}`, basicCredentials(CLIENT_ID, secret).replace(/=+$/, '')],
      [`base64(id:secret) with ${secret}`, Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64').replace(/=+$/, '')],
    );
  }
  for (const request of servers.auth.requests) {
    if (request.headers.authorization !== undefined) needles.push(['Authorization header sent', request.headers.authorization]);
    const assertion = request.params.get('client_assertion');
    if (assertion !== null) needles.push(['client assertion', assertion]);
  }
  for (const token of servers.auth.everIssued) needles.push(['access token', token]);
  return needles;
}

describe.each(LOGGERS)('option `logger` with %s', (_name, capture) => {
  const servers = useServers();
  let captured: CapturingLogger[] = [];

  /** A logger for this test, scanned for secrets after it. */
  const newLogger = (): CapturingLogger => {
    const logger = capture();
    captured.push(logger);
    return logger;
  };

  const connect = (options: Partial<OAuth2Options> = {}) => {
    const log = newLogger();
    const api = servers.newApi();
    const handle = oauth2(api, { ...clientOptions(servers), scope: 'orders:read', logger: log.logger, ...options });
    return { api, handle, log };
  };

  const linesOf = (log: CapturingLogger, event: string): Line[] => log.lines().filter((line) => line.fields.event === event);

  afterEach(() => {
    const needles = secretNeedles(servers);
    const logs = captured;
    captured = [];
    for (const log of logs) {
      const written = log.output() + JSON.stringify(log.lines());
      for (const [what, needle] of needles) {
        if (written.includes(needle)) throw new Error(`the log holds the ${what}`);
      }
    }
  });

  it('a token fetch: debug lines for the fetch and its attempt, an info line for the token with its fields; cached requests log nothing', async () => {
    const { api, log } = connect();
    await api.get('/first');
    const linesAfterFirst = log.lines().length;
    await api.get('/second');
    await api.get('/third');

    expect(log.lines().map(({ level, fields }) => [level, fields.event])).toEqual([
      ['debug', 'token:fetch'],
      ['debug', 'token:attempt'],
      ['info', 'token:issued'],
    ]);
    expect(log.lines()).toHaveLength(linesAfterFirst);
    const [issued] = linesOf(log, 'token:issued');
    expect(issued.fields).toEqual({
      event: 'token:issued',
      tokenEndpoint: servers.auth.tokenEndpoint,
      clientId: CLIENT_ID,
      grantType: 'client_credentials',
      scope: 'orders:read',
      fetchId: 1,
      attempts: 1,
      durationMs: expect.any(Number) as unknown,
      renewal: false,
      source: 'endpoint',
      expiresInMs: 3_600_000,
      ...(_name === 'a winston child logger' ? { service: 'billing' } : {}),
    });
    // The fields are fields, not text in the message.
    expect(issued.message).toMatch(/^oauth2: access token issued in \d+ ms$/);
    expect(issued.message).not.toContain(CLIENT_ID);
    expect(linesOf(log, 'token:attempt')[0].fields).toMatchObject({ attempt: 1, fetchId: 1, clientId: CLIENT_ID });
  });

  it('a transient failure, then success: a warn line with the attempt, status and retry delay', async () => {
    let answered503 = false;
    servers.auth.override = (_req, res) => {
      if (answered503) return false;
      answered503 = true;
      res.writeHead(503).end();
      return true;
    };
    const { api, log } = connect({ tokenRetry: FAST_RETRY });

    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });

    const [failed, ...more] = linesOf(log, 'token:attempt-failed');
    expect(more).toHaveLength(0);
    expect(failed.level).toBe('warn');
    expect(failed.fields).toMatchObject({
      attempt: 1,
      status: 503,
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      retryInMs: expect.any(Number) as unknown,
      tokenEndpoint: servers.auth.tokenEndpoint,
      clientId: CLIENT_ID,
    });
    expect(failed.message).toMatch(/^oauth2: token request failed \(HTTP 503\), attempt 1; retrying in \d+ ms$/);
    const [issued] = linesOf(log, 'token:issued');
    expect(issued).toMatchObject({ level: 'info', fields: { attempts: 2 } });
    expect(issued.message).toContain('after 2 attempts');
    expect(linesOf(log, 'token:failed')).toHaveLength(0);
  });

  it('a permanent failure (invalid_client): an error line with the code, status, error and cooldown', async () => {
    const { api, log } = connect({ clientSecret: WRONG_SECRET, tokenRetry: FAST_RETRY });

    await expect(api.get('/r')).rejects.toBeInstanceOf(TokenEndpointError);

    const [failed] = linesOf(log, 'token:failed');
    expect(failed.level).toBe('error');
    expect(failed.fields).toMatchObject({
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      status: 401,
      error: 'invalid_client',
      cooldownMs: 1000,
      attempts: 1,
      tokenStillValid: false,
      tokenEndpoint: servers.auth.tokenEndpoint,
      clientId: CLIENT_ID,
      scope: 'orders:read',
    });
    expect(failed.message).toBe(
      'oauth2: token fetch failed (invalid_client, HTTP 401) after 1 attempt; requests that need a new token fail at once for 1000 ms (cooldown)',
    );
    // Not retried, so its one attempt is only a debug line: the error line says it all.
    expect(linesOf(log, 'token:attempt-failed')).toEqual([
      expect.objectContaining({
        level: 'debug',
        fields: expect.not.objectContaining({ retryInMs: expect.anything() as unknown }) as unknown,
      }),
    ]);
  });

  it('a request refused during the cooldown: a debug line with the time left and the error', async () => {
    const { api, log } = connect({ clientSecret: WRONG_SECRET, tokenRetry: FAST_RETRY });
    await expect(api.get('/first')).rejects.toBeInstanceOf(TokenEndpointError);

    await expect(api.get('/refused')).rejects.toBeInstanceOf(TokenEndpointError);

    expect(servers.auth.requests).toHaveLength(1);
    const [refused, ...more] = linesOf(log, 'token:cooldown-rejected');
    expect(more).toHaveLength(0);
    expect(refused.level).toBe('debug');
    expect(refused.fields).toMatchObject({
      remainingMs: expect.any(Number) as unknown,
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      status: 401,
      error: 'invalid_client',
      clientId: CLIENT_ID,
    });
    expect(refused.fields.remainingMs).toBeGreaterThan(0);
    expect(refused.message).toMatch(
      /^oauth2: request refused: the token endpoint cools down for another \d+ ms after a failed fetch \(invalid_client, HTTP 401\)$/,
    );
  });

  it('a 401 from the API: info lines for the invalidation and the replay (URL without its query), then the new token', async () => {
    const { api, log } = connect();
    await api.get('/warm');
    servers.auth.revokeAll();

    await expect(api.get('/orders?customer=42')).resolves.toMatchObject({ status: 200 });

    expect(
      log
        .lines()
        .map(({ level, fields }) => [level, fields.event])
        .slice(3),
    ).toEqual([
      ['info', 'token:invalidated'],
      ['debug', 'token:fetch'],
      ['debug', 'token:attempt'],
      ['info', 'token:issued'],
      ['info', 'request:replay'],
    ]);
    expect(linesOf(log, 'token:invalidated')[0]).toMatchObject({
      message: 'oauth2: cached access token dropped: a request with it was answered 401',
      fields: { reason: 'unauthorized' },
    });
    const [replay] = linesOf(log, 'request:replay');
    expect(replay.fields).toMatchObject({ replay: 1, method: 'GET', url: `${servers.api.url}/orders`, clientId: CLIENT_ID });
    expect(replay.message).toBe(`oauth2: GET ${servers.api.url}/orders answered 401; replaying with a fresh token (replay 1)`);
    expect(log.output()).not.toContain('customer=42');
  });

  it('handle.invalidate(): an info line with reason manual', async () => {
    const { api, handle, log } = connect();
    await api.get('/warm');

    handle.invalidate();

    expect(linesOf(log, 'token:invalidated')).toEqual([
      {
        level: 'info',
        message: 'oauth2: cached access token dropped: handle.invalidate() was called',
        fields: expect.objectContaining({ reason: 'manual', clientId: CLIENT_ID }) as unknown,
      },
    ]);
  });

  it('an app listener that throws: a warn line naming the event and the error; the request goes on', async () => {
    const { api, handle, log } = connect();
    handle.on('token:issued', () => {
      throw new RangeError('dashboard not ready');
    });

    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });

    const [warning, ...more] = log.lines().filter((line) => line.level === 'warn');
    expect(more).toHaveLength(0);
    expect(warning.fields).toEqual({
      event: 'token:issued',
      errorName: 'RangeError',
      errorMessage: 'dashboard not ready',
      ...(_name === 'a winston child logger' ? { service: 'billing' } : {}),
    });
    expect(warning.message).toBe('oauth2: an event listener of token:issued threw RangeError; the request went on');
  });

  it('a client assertion (client_secret_jwt) is not logged either', async () => {
    const { api, log } = connect({ tokenEndpointAuthMethod: 'client_secret_jwt' });
    await api.get('/r');
    expect(servers.auth.requests[0].params.get('client_assertion')).toEqual(expect.any(String));
    expect(linesOf(log, 'token:issued')).toHaveLength(1);
    // afterEach searches every log line for the assertion the server received.
  });
});

describe('option `logger`: the calling convention', () => {
  const servers = useServers();
  afterEach(() => jest.restoreAllMocks());

  it('the global console gets the message first, then the fields object', async () => {
    const calls: unknown[][] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void calls.push(args));
    }
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), logger: console });
    await api.get('/r');

    expect(calls).toHaveLength(3);
    for (const [message, fields, ...rest] of calls) {
      expect(message).toMatch(/^oauth2: /);
      expect(fields).toMatchObject({ clientId: CLIENT_ID, tokenEndpoint: servers.auth.tokenEndpoint });
      expect(rest).toEqual([]);
    }
    const written = calls.map((args) => format(...args)).join('\n');
    for (const secret of [CLIENT_SECRET, basicCredentials(CLIENT_ID, CLIENT_SECRET), ...servers.auth.everIssued])
      expect(written).not.toContain(secret);
  });

  it('any other object with the four methods gets the fields object first, as pino and bunyan expect', async () => {
    const calls: unknown[][] = [];
    const record = (...args: unknown[]) => void calls.push(args);
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), logger: { debug: record, info: record, warn: record, error: record } });
    await api.get('/r');

    expect(calls).toHaveLength(3);
    for (const [fields, message] of calls) {
      expect(fields).toMatchObject({ clientId: CLIENT_ID });
      expect(message).toMatch(/^oauth2: /);
    }
  });

  it('a logger whose methods throw breaks no request, failing or not, nor the app listeners', async () => {
    const boom = () => {
      throw new Error('logger down');
    };
    const api = servers.newApi();
    const handle = oauth2(api, {
      ...clientOptions(servers),
      logger: { debug: boom, info: boom, warn: boom, error: boom },
      tokenRetry: FAST_RETRY,
    });
    const seen: string[] = [];
    handle.on('token:issued', (event) => void seen.push(event.event));
    handle.on('token:issued', () => {
      throw new Error('app listener down too'); // reported to logger.warn, which throws as well
    });

    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });
    servers.auth.revokeAll();
    await expect(api.get('/replayed')).resolves.toMatchObject({ status: 200 });
    handle.invalidate();
    servers.auth.override = (_req, res) => {
      res.writeHead(503).end();
      return true;
    };
    await expect(api.get('/failing')).rejects.toBeInstanceOf(TokenEndpointError);
    await expect(api.get('/cooling-down')).rejects.toBeInstanceOf(TokenEndpointError);

    expect(seen).toEqual(['token:issued', 'token:issued']);
  });

  it("a logger method that throws is not reported as an app listener's failure", async () => {
    const warnings: unknown[][] = [];
    const api = servers.newApi();
    const boom = () => {
      throw new Error('info broken');
    };
    oauth2(api, {
      ...clientOptions(servers),
      logger: { debug: () => {}, info: boom, warn: (...args: unknown[]) => void warnings.push(args), error: () => {} },
    });

    await expect(api.get('/r')).resolves.toMatchObject({ status: 200 });

    expect(warnings).toEqual([]);
  });
});

describe('option `logger`: validation', () => {
  it.each([
    ['an empty object', {}, 'debug, info, warn, error'],
    ['a string', 'x', 'debug, info, warn, error'],
    ['null', null, 'debug, info, warn, error'],
    ['an object without warn and error', { debug: () => {}, info: () => {} }, 'warn, error'],
  ])('%s is refused, naming `logger` and the missing methods', (_what, logger, missing) => {
    const error = rejectionOf({ tokenEndpoint: 'https://auth.example/token', clientId: 'id', clientSecret: 'secret', logger });
    expect(error.option).toBe('logger');
    expect(error.message).toContain(`missing ${missing}`);
  });
});
