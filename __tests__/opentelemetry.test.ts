import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import { context, metrics, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { oauth2, TokenEndpointError, type OAuth2Options } from '../lib';
import { clientFields, EventHub } from '../lib/telemetry/events';
import {
  INSTRUMENTATION_SCOPE,
  INSTRUMENTATION_VERSION,
  METRICS,
  recordWithOpenTelemetry,
  TOKEN_FETCH_SPAN,
} from '../lib/telemetry/opentelemetry';
import { basicCredentials, formEncode } from './support/encodings';
import { freshModule } from './support/fresh-module';
import { useFakeClock } from './support/fake-clock';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers, type Servers } from './support/servers';

/**
 * Spans and metrics as the real OpenTelemetry SDK records and exports them (in-memory
 * exporters), against the loopback authorization server and API. Every test ends by
 * searching everything recorded for the client secret, the Basic credentials and every
 * token the server issued.
 */

const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 20 };

/** OpenTelemetry's AsyncLocalStorage context manager, as @opentelemetry/context-async-hooks has it, reduced to what the API calls. */
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => this.with(ctx, () => fn(...args))) as unknown as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

interface Sdk {
  spans: InMemorySpanExporter;
  metricExporter: InMemoryMetricExporter;
  reader: PeriodicExportingMetricReader;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
}

/** Registers a tracer provider, a meter provider and a context manager globally, as an app's SDK setup does. */
function registerSdk(): Sdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  expect(trace.setGlobalTracerProvider(tracerProvider)).toBe(true);
  expect(metrics.setGlobalMeterProvider(meterProvider)).toBe(true);
  expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager())).toBe(true);
  return { spans, metricExporter, reader, tracerProvider, meterProvider };
}

async function unregisterSdk(sdk: Sdk | undefined): Promise<void> {
  trace.disable();
  metrics.disable();
  context.disable();
  if (sdk !== undefined) await Promise.all([sdk.tracerProvider.shutdown(), sdk.meterProvider.shutdown()]);
}

/** The metrics of this library's instrumentation scope, by name, as the reader exports them now (cumulative). */
async function exportedMetrics(sdk: Sdk): Promise<Map<string, MetricData>> {
  await sdk.reader.forceFlush();
  const exported = sdk.metricExporter.getMetrics();
  const latest = exported.at(-1);
  const byName = new Map<string, MetricData>();
  for (const scope of latest?.scopeMetrics ?? []) {
    if (scope.scope.name !== INSTRUMENTATION_SCOPE) continue;
    expect(scope.scope.version).toBe(INSTRUMENTATION_VERSION);
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  }
  return byName;
}

/** A metric's data points as [attributes, value] pairs. */
function points(metric: MetricData | undefined): { attributes: Record<string, unknown>; value: unknown }[] {
  return ((metric?.dataPoints ?? []) as DataPoint<unknown>[]).map((point) => ({
    attributes: { ...point.attributes },
    value: point.value,
  }));
}

/** The secrets and tokens that must never be in telemetry. */
function needles(servers: Servers, secrets: readonly string[]): string[] {
  const found = [
    ...secrets.flatMap((secret) => [secret, formEncode(secret), basicCredentials(CLIENT_ID, secret)]),
    ...servers.auth.everIssued,
  ];
  return [...new Set(found)];
}

/** Everything recorded, serialized: every span (name, attributes, events, status, links, scope) and every metric descriptor and data point. */
async function serializeEverything(sdk: Sdk): Promise<string> {
  const spans = sdk.spans.getFinishedSpans().map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
    status: span.status,
    links: span.links,
    scope: span.instrumentationScope,
  }));
  await sdk.reader.forceFlush();
  const metricData = sdk.metricExporter.getMetrics().flatMap((resource) =>
    resource.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((metric) => ({
        descriptor: metric.descriptor,
        points: (metric.dataPoints as DataPoint<unknown>[]).map((point) => point.attributes),
      })),
    ),
  );
  return JSON.stringify({ spans, metricData });
}

async function expectNoSecrets(sdk: Sdk, servers: Servers, secrets: readonly string[] = [CLIENT_SECRET]): Promise<void> {
  const everything = await serializeEverything(sdk);
  // The search has something to search: the client id is recorded, and public.
  expect(everything).toContain(CLIENT_ID);
  for (const needle of needles(servers, secrets)) expect(everything).not.toContain(needle);
}

/** Waits (on real timers) until `condition` holds, for up to 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function tokenSpans(sdk: Sdk): ReadableSpan[] {
  return sdk.spans.getFinishedSpans().filter((span) => span.name === TOKEN_FETCH_SPAN);
}

describe('OpenTelemetry: spans and metrics through @opentelemetry/api', () => {
  const servers = useServers();
  let sdk: Sdk | undefined;

  beforeEach(() => {
    sdk = registerSdk();
  });

  afterEach(async () => {
    await unregisterSdk(sdk);
    sdk = undefined;
  });

  function connect(options: Partial<OAuth2Options> = {}): AxiosInstance {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), ...options });
    return api;
  }

  /** The attributes every token metric carries: the token endpoint's server and the client. */
  function clientMetricAttributes(): Record<string, unknown> {
    return {
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(servers.auth.tokenEndpoint).port),
      'oauth2.client.id': CLIENT_ID,
      'oauth2.grant.type': 'client_credentials',
    };
  }

  it('the instrumentation scope is this package, at the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
    // Loaded inside the test: module-level constants (see support/fresh-module.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/telemetry/opentelemetry')) as typeof import('../lib/telemetry/opentelemetry');
    expect(fresh.INSTRUMENTATION_SCOPE).toBe(pkg.name);
    expect(fresh.INSTRUMENTATION_VERSION).toBe(pkg.version);
    expect(INSTRUMENTATION_SCOPE).toBe(pkg.name);
  });

  it('a token fetch is one INTERNAL span with the endpoint and client, an event per attempt; requests with the cached token record nothing', async () => {
    const api = connect({ scope: ['invoices:read', 'invoices:write'] });
    await api.get('/first');
    await api.get('/second');
    await api.get('/third');

    const [span, ...others] = tokenSpans(sdk!);
    expect(others).toEqual([]);
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.instrumentationScope).toMatchObject({ name: INSTRUMENTATION_SCOPE, version: INSTRUMENTATION_VERSION });
    expect(span.attributes).toEqual({
      ...clientMetricAttributes(),
      'url.full': servers.auth.tokenEndpoint,
      'oauth2.scope': 'invoices:read invoices:write',
      'oauth2.token.renewal': false,
      'oauth2.token.attempt_count': 1,
      'oauth2.token.expires_in': 3600,
      'http.response.status_code': 200,
    });
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([
      ['oauth2.token.attempt', { 'oauth2.token.attempt_number': 1 }],
    ]);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanContext).toBeUndefined();

    const recorded = await exportedMetrics(sdk!);
    const requests = recorded.get(METRICS.tokenRequests)!;
    expect(requests.descriptor).toMatchObject({ unit: '{request}' });
    expect(requests.dataPointType).toBe(DataPointType.SUM);
    expect(points(requests)).toEqual([
      { attributes: { ...clientMetricAttributes(), 'oauth2.token.result': 'success', 'http.response.status_code': 200 }, value: 1 },
    ]);

    const duration = recorded.get(METRICS.tokenFetchDuration)!;
    expect(duration.descriptor).toMatchObject({ unit: 's' });
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [point, ...morePoints] = duration.dataPoints as DataPoint<Histogram>[];
    expect(morePoints).toEqual([]);
    expect(point.attributes).toEqual({ ...clientMetricAttributes(), 'oauth2.token.result': 'success', 'oauth2.token.renewal': false });
    expect(point.value.count).toBe(1);
    // Seconds: a loopback fetch takes well under one.
    expect(point.value.sum).toBeGreaterThanOrEqual(0);
    expect(point.value.sum).toBeLessThan(1);
    expect(point.value.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15]);

    // Nothing that did not happen: no replay, no cooldown refusal.
    expect(points(recorded.get(METRICS.replays))).toEqual([]);
    expect(points(recorded.get(METRICS.cooldownRejections))).toEqual([]);
    expect(servers.auth.everIssued).toHaveLength(1);
    await expectNoSecrets(sdk!, servers);
  });

  it('a transient failure then a success: one span, two attempt events and the failure between them; requests counted by result', async () => {
    let answered503 = false;
    servers.auth.override = (_req, res) => {
      if (answered503) return false;
      answered503 = true;
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'temporarily_unavailable' }));
      return true;
    };
    const api = connect({ tokenRetry: FAST_RETRY });
    await api.get('/x');

    const [span, ...others] = tokenSpans(sdk!);
    expect(others).toEqual([]);
    expect(span.attributes['oauth2.token.attempt_count']).toBe(2);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events.map((event) => event.name)).toEqual(['oauth2.token.attempt', 'oauth2.token.attempt_failed', 'oauth2.token.attempt']);
    expect(span.events.map((event) => event.attributes?.['oauth2.token.attempt_number'])).toEqual([1, 1, 2]);
    const failed = span.events[1].attributes!;
    expect(failed).toMatchObject({
      'error.type': 'ERR_OAUTH2_TOKEN_ENDPOINT',
      'http.response.status_code': 503,
      'oauth2.error': 'temporarily_unavailable',
    });
    expect(failed['oauth2.token.retry_delay']).toEqual(expect.any(Number));
    expect(failed['oauth2.token.retry_delay']).toBeLessThanOrEqual(0.02);
    expect(failed['oauth2.token.attempt_duration']).toEqual(expect.any(Number));

    const recorded = await exportedMetrics(sdk!);
    expect(points(recorded.get(METRICS.tokenRequests))).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            ...clientMetricAttributes(),
            'oauth2.token.result': 'failure',
            'error.type': 'ERR_OAUTH2_TOKEN_ENDPOINT',
            'http.response.status_code': 503,
            'oauth2.error': 'temporarily_unavailable',
          },
          value: 1,
        },
        { attributes: { ...clientMetricAttributes(), 'oauth2.token.result': 'success', 'http.response.status_code': 200 }, value: 1 },
      ]),
    );
    expect(points(recorded.get(METRICS.tokenRequests))).toHaveLength(2);
    const durations = recorded.get(METRICS.tokenFetchDuration)!.dataPoints as DataPoint<Histogram>[];
    expect(durations.map((point) => [point.attributes['oauth2.token.result'], point.value.count])).toEqual([['success', 1]]);
    await expectNoSecrets(sdk!, servers);
  });

  it('a permanent failure (invalid_client): the span ends in ERROR with error.type, and refusals during the cooldown are counted', async () => {
    const wrongSecret = 'not-the-s3cr3t!';
    const api = connect({ clientSecret: wrongSecret, tokenRetry: FAST_RETRY });
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    // During the cooldown the next request fails at once, with no token request.
    await expect(api.get('/y')).rejects.toBeInstanceOf(TokenEndpointError);
    expect(servers.auth.requests).toHaveLength(1);

    const [span, ...others] = tokenSpans(sdk!);
    expect(others).toEqual([]);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toContain('invalid_client');
    expect(span.attributes).toMatchObject({
      'error.type': 'ERR_OAUTH2_TOKEN_ENDPOINT',
      'http.response.status_code': 401,
      'oauth2.error': 'invalid_client',
      'oauth2.token.attempt_count': 1,
    });
    expect(span.attributes['oauth2.token.cooldown']).toBeGreaterThan(0);
    expect(span.events.map((event) => event.name)).toEqual(['oauth2.token.attempt', 'oauth2.token.attempt_failed']);
    // A permanent failure is not retried.
    expect(span.events[1].attributes).not.toHaveProperty('oauth2.token.retry_delay');

    const failure = { 'error.type': 'ERR_OAUTH2_TOKEN_ENDPOINT', 'http.response.status_code': 401, 'oauth2.error': 'invalid_client' };
    const recorded = await exportedMetrics(sdk!);
    expect(points(recorded.get(METRICS.tokenRequests))).toEqual([
      { attributes: { ...clientMetricAttributes(), 'oauth2.token.result': 'failure', ...failure }, value: 1 },
    ]);
    const [duration] = recorded.get(METRICS.tokenFetchDuration)!.dataPoints as DataPoint<Histogram>[];
    expect(duration.attributes).toEqual({
      ...clientMetricAttributes(),
      'oauth2.token.result': 'failure',
      'oauth2.token.renewal': false,
      ...failure,
    });
    const rejections = recorded.get(METRICS.cooldownRejections)!;
    expect(rejections.descriptor).toMatchObject({ unit: '{rejection}' });
    expect(points(rejections)).toEqual([{ attributes: { ...clientMetricAttributes(), ...failure }, value: 1 }]);
    await expectNoSecrets(sdk!, servers, [CLIENT_SECRET, wrongSecret]);
  });

  it('a 401 replay is counted, by method and the resource server', async () => {
    const api = connect();
    await api.get('/warm');
    servers.auth.revokeAll();
    await api.post('/after-revocation', { id: 1 });

    const recorded = await exportedMetrics(sdk!);
    const replays = recorded.get(METRICS.replays)!;
    expect(replays.descriptor).toMatchObject({ unit: '{replay}' });
    expect(points(replays)).toEqual([
      {
        attributes: {
          'server.address': '127.0.0.1',
          'server.port': Number(new URL(servers.api.url).port),
          'http.request.method': 'POST',
          'oauth2.client.id': CLIENT_ID,
          'oauth2.grant.type': 'client_credentials',
        },
        value: 1,
      },
    ]);
    // The replay fetched a new token: a second span, and a second successful request.
    expect(tokenSpans(sdk!)).toHaveLength(2);
    expect(points(recorded.get(METRICS.tokenRequests))).toEqual([expect.objectContaining({ value: 2 })]);
    expect(servers.auth.everIssued).toHaveLength(2);
    await expectNoSecrets(sdk!, servers);
  });

  it('the span is a child of the span active when the request was made, through axios and the shared fetch', async () => {
    const api = connect();
    const tracer = trace.getTracer('the-app');
    const parent = await tracer.startActiveSpan('handle order', async (span) => {
      await Promise.all([api.get('/a'), api.get('/b')]);
      span.end();
      return span;
    });
    const [fetch, ...others] = tokenSpans(sdk!);
    expect(others).toEqual([]);
    expect(fetch.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(fetch.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);

    // A fetch outside any span is a root span.
    servers.auth.revokeAll();
    await api.get('/c');
    expect(tokenSpans(sdk!)[1].parentSpanContext).toBeUndefined();
    await expectNoSecrets(sdk!, servers);
  });

  it('a background renewal is a span of its own, marked as a renewal, under the request that started it', async () => {
    servers.auth.expiresIn = 60;
    const clock = useFakeClock();
    const api = connect();
    await api.get('/first');
    clock.advanceSeconds(57.5); // in the renewal window: a request gets the cached token and starts a renewal
    const parent = await trace.getTracer('the-app').startActiveSpan('handle order', async (span) => {
      await api.get('/starts-renewal');
      span.end();
      return span;
    });
    await until(() => tokenSpans(sdk!).length === 2);

    const [first, renewal] = tokenSpans(sdk!);
    expect(first.attributes['oauth2.token.renewal']).toBe(false);
    expect(renewal.attributes['oauth2.token.renewal']).toBe(true);
    expect(renewal.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    const durations = (await exportedMetrics(sdk!)).get(METRICS.tokenFetchDuration)!.dataPoints as DataPoint<Histogram>[];
    expect(durations.map((point) => [point.attributes['oauth2.token.renewal'], point.value.count])).toEqual([
      [false, 1],
      [true, 1],
    ]);
    await expectNoSecrets(sdk!, servers);
  });

  it('an RFC 6749 `error` that is not a short code is recorded as _OTHER, keeping metric attributes bounded', async () => {
    servers.auth.override = (_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: `not a code ${'x'.repeat(100)}` }));
      return true;
    };
    const api = connect();
    await expect(api.get('/x')).rejects.toBeInstanceOf(TokenEndpointError);
    expect(tokenSpans(sdk!)[0].attributes['oauth2.error']).toBe('_OTHER');
    expect(points((await exportedMetrics(sdk!)).get(METRICS.tokenRequests))).toEqual([
      { attributes: expect.objectContaining({ 'oauth2.error': '_OTHER', 'http.response.status_code': 400 }) as unknown, value: 1 },
    ]);
  });

  it('`openTelemetry: false` records nothing', async () => {
    servers.api.alwaysUnauthorized = true;
    const api = connect({ openTelemetry: false });
    await expect(api.get('/x')).rejects.toMatchObject({ response: { status: 401 } });
    expect(servers.auth.requests).toHaveLength(2);
    expect(sdk!.spans.getFinishedSpans()).toEqual([]);
    expect(await exportedMetrics(sdk!)).toEqual(new Map());
  });

  it('an SDK registered after oauth2(), or replaced, is the one that records', async () => {
    await unregisterSdk(sdk);
    const api = connect();
    // No SDK yet: nothing to record to, and nothing fails.
    await api.get('/before');

    sdk = registerSdk();
    servers.auth.revokeAll();
    await api.get('/after');
    expect(tokenSpans(sdk)).toHaveLength(1);
    expect(points((await exportedMetrics(sdk)).get(METRICS.tokenRequests))).toEqual([expect.objectContaining({ value: 1 })]);

    await expectNoSecrets(sdk, servers);

    // Another SDK: the meter provider is not a proxy, so the instruments must follow it.
    await unregisterSdk(sdk);
    sdk = registerSdk();
    servers.auth.revokeAll();
    await api.get('/replaced');
    expect(tokenSpans(sdk)).toHaveLength(1);
    expect(points((await exportedMetrics(sdk)).get(METRICS.tokenRequests))).toEqual([expect.objectContaining({ value: 1 })]);
    await expectNoSecrets(sdk, servers);
  });

  it('a server that echoes the secret into its error fields does not get it into telemetry', async () => {
    servers.auth.override = (_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          error: CLIENT_SECRET,
          error_description: `bad client ${CLIENT_ID}:${CLIENT_SECRET} (${basicCredentials(CLIENT_ID, CLIENT_SECRET)})`,
        }),
      );
      return true;
    };
    const api = connect({ tokenRetry: FAST_RETRY });
    await expect(api.get('/x')).rejects.toBeInstanceOf(TokenEndpointError);
    const [span] = tokenSpans(sdk!);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // The library scrubs the secret from what the server sent before anything sees it.
    expect(span.attributes['oauth2.error']).toBe('[REDACTED]');
    expect(span.status.message).toContain('[REDACTED]');
    await expectNoSecrets(sdk!, servers);
  });

  it('a token that the server sends back is never recorded, whatever the grant', async () => {
    servers.auth.registerUser('jdoe', 'hunter2-password');
    const api = connect({ grantType: 'password', username: 'jdoe', password: 'hunter2-password' });
    await api.get('/x');
    const [span] = tokenSpans(sdk!);
    expect(span.attributes['oauth2.grant.type']).toBe('password');
    expect(servers.auth.everIssued).toHaveLength(1);
    await expectNoSecrets(sdk!, servers, [CLIENT_SECRET, 'hunter2-password']);
  });
});

describe('OpenTelemetry: without an SDK, or without @opentelemetry/api', () => {
  const servers = useServers();

  it('with the API but no SDK registered, requests work and nothing is recorded anywhere', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), tokenRetry: FAST_RETRY });
    await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
    // An SDK registered now sees nothing of the fetch that already happened.
    const sdk = registerSdk();
    try {
      expect(sdk.spans.getFinishedSpans()).toEqual([]);
      expect(await exportedMetrics(sdk)).toEqual(new Map());
    } finally {
      await unregisterSdk(sdk);
    }
  });

  it('when @opentelemetry/api cannot be loaded, the library loads nothing, records nothing and works', async () => {
    const sdk = registerSdk();
    const loads: string[] = [];
    try {
      let isolated!: typeof import('../lib');
      jest.isolateModules(() => {
        jest.doMock('@opentelemetry/api', () => {
          loads.push('@opentelemetry/api');
          throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
        isolated = require('../lib') as typeof import('../lib');
      });
      // Not at import: only when oauth2() asks, and once.
      expect(loads).toEqual([]);
      const api = servers.newApi();
      isolated.oauth2(api, clientOptions(servers));
      isolated.oauth2(servers.newApi(), clientOptions(servers));
      expect(loads).toEqual(['@opentelemetry/api']);
      await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
      expect(sdk.spans.getFinishedSpans()).toEqual([]);
      expect(await exportedMetrics(sdk)).toEqual(new Map());
    } finally {
      jest.dontMock('@opentelemetry/api');
      await unregisterSdk(sdk);
    }
  });
});

describe('OpenTelemetry: attributes taken from URLs and methods', () => {
  let sdk: Sdk | undefined;

  beforeEach(() => {
    sdk = registerSdk();
  });

  afterEach(async () => {
    await unregisterSdk(sdk);
    sdk = undefined;
  });

  /** events.ts and opentelemetry.ts loaded inside the test: the method list, the error-code pattern and the API's detection are module-level (see support/fresh-module.ts). */
  const fresh = () =>
    freshModule(() => ({
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
      ...(require('../lib/telemetry/events') as typeof import('../lib/telemetry/events')),
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy
      ...(require('../lib/telemetry/opentelemetry') as typeof import('../lib/telemetry/opentelemetry')),
    })) as typeof import('../lib/telemetry/events') & typeof import('../lib/telemetry/opentelemetry');

  it('every known HTTP method is kept as it is; RFC 6749 error codes are kept when short and printable, else _OTHER', async () => {
    const { EventHub, clientFields, recordWithOpenTelemetry } = fresh();
    const hub = new EventHub(
      clientFields({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: undefined, grant: { type: 'client_credentials' }, scope: '' }),
    );
    recordWithOpenTelemetry(hub);
    const methods = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE'];
    for (const method of methods) hub.emit('request:replay', { method, url: 'http://127.0.0.1:9/r', replay: 1 });
    const codes = ['invalid_client', 'x', 'e'.repeat(64), 'e'.repeat(65), 'has space', 'say "no"', 'back\\slash'];
    for (const error of codes) {
      hub.emit('token:attempt-failed', {
        errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
        errorMessage: error,
        status: 400,
        error,
        fetchId: 1,
        renewal: false,
        attempt: 1,
        durationMs: 1,
      });
    }
    const exported = await exportedMetrics(sdk!);
    expect(
      points(exported.get(METRICS.replays))
        .map((point) => point.attributes['http.request.method'])
        .sort(),
    ).toEqual(methods);
    const seen = points(exported.get(METRICS.tokenRequests)).map((point) => point.attributes['oauth2.error']);
    expect(seen.sort()).toEqual(['_OTHER', 'e'.repeat(64), 'invalid_client', 'x'].sort());
    expect(points(exported.get(METRICS.tokenRequests)).find((point) => point.attributes['oauth2.error'] === '_OTHER')?.value).toBe(4);
  });

  it('server.port is the scheme’s default when the URL has none; a method outside the known ones is _OTHER; a URL that does not parse gives no server', async () => {
    const hub = new EventHub(
      clientFields({
        tokenEndpoint: 'https://auth.example.com/token',
        clientId: 'billing',
        grant: { type: 'client_credentials' },
        scope: '',
      }),
    );
    recordWithOpenTelemetry(hub);
    hub.emit('request:replay', { method: 'GET', url: 'https://api.example.com/orders', replay: 1 });
    hub.emit('request:replay', { method: 'PURGE', url: 'http://[::1]/cache', replay: 1 });
    hub.emit('request:replay', { method: 'POST', url: 'ftp://files.example.com/in', replay: 2 });
    hub.emit('request:replay', { method: 'DELETE', url: 'not a url', replay: 1 });
    const replays = points((await exportedMetrics(sdk!)).get(METRICS.replays));
    const identity = { 'oauth2.client.id': 'billing', 'oauth2.grant.type': 'client_credentials' };
    expect(replays).toEqual(
      expect.arrayContaining([
        { attributes: { ...identity, 'server.address': 'api.example.com', 'server.port': 443, 'http.request.method': 'GET' }, value: 1 },
        { attributes: { ...identity, 'server.address': '::1', 'server.port': 80, 'http.request.method': '_OTHER' }, value: 1 },
        { attributes: { ...identity, 'server.address': 'files.example.com', 'http.request.method': 'POST' }, value: 1 },
        { attributes: { ...identity, 'http.request.method': 'DELETE' }, value: 1 },
      ]),
    );
    expect(replays).toHaveLength(4);
  });

  it('times are in seconds: attempt durations, retry delays, the lifetime, the cooldown and the fetch duration', async () => {
    const hub = new EventHub(
      clientFields({
        tokenEndpoint: 'https://auth.example.com:8443/token',
        clientId: 'billing',
        grant: { type: 'client_credentials' },
        scope: 'read',
      }),
    );
    recordWithOpenTelemetry(hub);
    const failure = { errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT', errorMessage: 'HTTP 503', status: 503 } as const;
    hub.emit('token:fetch', { fetchId: 1, renewal: false });
    hub.emit('token:attempt', { fetchId: 1, renewal: false, attempt: 1 });
    hub.emit('token:attempt-failed', { ...failure, fetchId: 1, renewal: false, attempt: 1, durationMs: 250, retryInMs: 500 });
    hub.emit('token:attempt', { fetchId: 1, renewal: false, attempt: 2 });
    hub.emit('token:issued', { fetchId: 1, renewal: false, source: 'endpoint', attempts: 2, durationMs: 1_500, expiresInMs: 3_600_000 });
    hub.emit('token:fetch', { fetchId: 2, renewal: true });
    hub.emit('token:failed', {
      ...failure,
      fetchId: 2,
      renewal: true,
      attempts: 1,
      durationMs: 400,
      cooldownMs: 2_000,
      tokenStillValid: true,
    });

    const [issued, failed] = sdk!.spans.getFinishedSpans();
    expect(issued.attributes).toMatchObject({ 'oauth2.token.expires_in': 3_600, 'oauth2.scope': 'read', 'server.port': 8443 });
    expect(issued.events.map((event) => event.attributes)).toEqual([
      { 'oauth2.token.attempt_number': 1 },
      expect.objectContaining({ 'oauth2.token.attempt_duration': 0.25, 'oauth2.token.retry_delay': 0.5, 'http.response.status_code': 503 }),
      { 'oauth2.token.attempt_number': 2 },
    ]);
    expect(failed.attributes).toMatchObject({ 'oauth2.token.cooldown': 2, 'oauth2.token.renewal': true });
    const durations = points((await exportedMetrics(sdk!)).get(METRICS.tokenFetchDuration));
    expect(durations.map((point) => (point.value as { sum: number }).sum).sort()).toEqual([0.4, 1.5]);
  });
});
