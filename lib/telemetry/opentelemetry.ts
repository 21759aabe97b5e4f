import { createRequire as requireFrom } from 'node:module';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter, Span, TracerProvider } from '@opentelemetry/api';
import type { ClientFields, EventHub, FailureFields } from './events';

/**
 * Spans and metrics through `@opentelemetry/api`, an optional peer dependency: when the
 * app does not have it, nothing is loaded and nothing is recorded. Everything is derived
 * from the plugin's events (see OAuth2EventMap), which carry no secret, assertion or
 * token; a request served from the cached token emits none, so it never reaches this file.
 *
 * Names follow OpenTelemetry's semantic-convention rules: dot-separated lowercase
 * namespaces (`snake_case` within a segment), UCUM units, durations in seconds, counters
 * without `_total`, the registered `server.*`, `url.full`, `error.type`,
 * `http.request.method` and `http.response.status_code` attributes where they apply, and
 * the plugin's own under `oauth2.*`.
 */

/** The instrumentation scope: this package, as named in package.json. */
export const INSTRUMENTATION_SCOPE = 'axios-client-credentials';
/** This package's version (a test checks it against package.json). */
export const INSTRUMENTATION_VERSION = '0.1.0';

/** One constant name for every token fetch: span names must be low-cardinality. */
export const TOKEN_FETCH_SPAN = 'oauth2.token.fetch';

export const METRICS = {
  tokenRequests: 'oauth2.client.token.requests',
  tokenFetchDuration: 'oauth2.client.token.fetch.duration',
  cooldownRejections: 'oauth2.client.token.cooldown.rejections',
  replays: 'oauth2.client.replays',
} as const;

/** The HTTP client duration buckets of the semantic conventions (seconds), plus the default retry budget. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15];

/** Methods that `http.request.method` may carry as they are; any other is `_OTHER` (semantic conventions). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);
/** An RFC 6749 §5.2 `error` code worth an attribute: short, no space; anything else is `_OTHER`. */
const ERROR_CODE = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

type Api = typeof OpenTelemetryApi;

/** undefined: not tried yet; null: not installed (or unusable). Tried once per process. */
let api: Api | null | undefined;

/** The ES module build's URL (tsup.config.ts defines it there); undefined elsewhere. */
declare const __MODULE_URL__: string | undefined;

/**
 * `@opentelemetry/api` from the app's dependencies, or null. Synchronous, so that the span
 * of the first token fetch is not lost, and only at the first `oauth2()` that wants it,
 * not when the library is imported.
 *
 * CommonJS (the CJS build, ts-jest, a bundle in CommonJS format): a plain `require`, which
 * bundlers see, and bundle, or leave out without failing when it cannot be resolved since
 * it sits in a try block. The ES module build in Node: `createRequire` from its own URL,
 * since an ES module has no synchronous import. Which copy is found does not matter:
 * `@opentelemetry/api` keeps the registered SDK in a global keyed by its major version.
 */
function loadApi(): Api | null {
  if (api !== undefined) return api;
  try {
    let loaded: Partial<Api> | undefined;
    // `module` is undefined in the ES module build, whatever its type says; there, createRequire loads it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-require-imports
    if (typeof module === 'object' && module !== null) loaded = require('@opentelemetry/api') as Partial<Api>;
    else if (typeof __MODULE_URL__ === 'string') loaded = requireFrom(__MODULE_URL__)('@opentelemetry/api') as Partial<Api>;
    // Metrics came with 1.3.0, the lowest version of the peer range.
    api = typeof loaded?.trace?.getTracer === 'function' && typeof loaded.metrics?.getMeter === 'function' ? (loaded as Api) : null;
  } catch {
    api = null;
  }
  return api;
}

/**
 * Records spans and metrics from `hub`'s events, when `@opentelemetry/api` is installed.
 * The tracer and the meter are looked up at each event, so an SDK registered after
 * `oauth2()` is used, and nothing is built while none is registered.
 */
export function recordWithOpenTelemetry(hub: EventHub): void {
  const otel = loadApi();
  if (otel === null) return;
  const spans = new Map<number, Span>();
  let client: ClientAttributes | undefined;
  // Every event of a hub carries the same ClientFields: described once, at the first.
  const clientAttributes = (event: ClientFields): ClientAttributes => (client ??= describeClient(event));

  hub.on('token:fetch', (event) => {
    if (!isTracing(otel)) return;
    const span = otel.trace.getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION).startSpan(TOKEN_FETCH_SPAN, {
      kind: otel.SpanKind.INTERNAL,
      attributes: { ...clientAttributes(event).span, 'oauth2.token.renewal': event.renewal },
    });
    // Sampled out: nothing to add to it later.
    if (span.isRecording()) spans.set(event.fetchId, span);
  });

  hub.on('token:attempt', (event) => {
    spans.get(event.fetchId)?.addEvent('oauth2.token.attempt', { 'oauth2.token.attempt_number': event.attempt });
  });

  hub.on('token:attempt-failed', (event) => {
    const span = spans.get(event.fetchId);
    if (span !== undefined) {
      const attributes: Attributes = {
        'oauth2.token.attempt_number': event.attempt,
        'oauth2.token.attempt_duration': event.durationMs / 1000,
        ...failureAttributes(event),
      };
      if (event.retryInMs !== undefined) attributes['oauth2.token.retry_delay'] = event.retryInMs / 1000;
      span.addEvent('oauth2.token.attempt_failed', attributes);
    }
    instruments(otel)?.tokenRequests.add(1, {
      ...clientAttributes(event).metric,
      'oauth2.token.result': 'failure',
      ...failureAttributes(event),
    });
  });

  hub.on('token:issued', (event) => {
    const span = spans.get(event.fetchId);
    if (span !== undefined) {
      spans.delete(event.fetchId);
      span.setAttributes({ 'oauth2.token.attempt_count': event.attempts, 'http.response.status_code': 200 });
      if (event.expiresInMs !== undefined) span.setAttribute('oauth2.token.expires_in', event.expiresInMs / 1000);
      span.end();
    }
    const recorded = instruments(otel);
    if (recorded === undefined) return;
    const attributes = { ...clientAttributes(event).metric, 'oauth2.token.result': 'success' };
    // A token comes only with a 200 (RFC 6749 §5.1).
    recorded.tokenRequests.add(1, { ...attributes, 'http.response.status_code': 200 });
    recorded.tokenFetchDuration.record(event.durationMs / 1000, { ...attributes, 'oauth2.token.renewal': event.renewal });
  });

  hub.on('token:failed', (event) => {
    const span = spans.get(event.fetchId);
    if (span !== undefined) {
      spans.delete(event.fetchId);
      span.setAttributes({
        'oauth2.token.attempt_count': event.attempts,
        'oauth2.token.cooldown': event.cooldownMs / 1000,
        ...failureAttributes(event),
      });
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: event.errorMessage });
      span.end();
    }
    instruments(otel)?.tokenFetchDuration.record(event.durationMs / 1000, {
      ...clientAttributes(event).metric,
      'oauth2.token.result': 'failure',
      'oauth2.token.renewal': event.renewal,
      ...failureAttributes(event),
    });
  });

  hub.on('token:cooldown-rejected', (event) => {
    instruments(otel)?.cooldownRejections.add(1, { ...clientAttributes(event).metric, ...failureAttributes(event) });
  });

  hub.on('request:replay', (event) => {
    const recorded = instruments(otel);
    if (recorded === undefined) return;
    // The server is the resource server here: the one the replayed request went to.
    const attributes: Attributes = {
      ...serverAttributes(event.url),
      ...clientAttributes(event).identity,
      'http.request.method': KNOWN_METHODS.has(event.method) ? event.method : '_OTHER',
    };
    recorded.replays.add(1, attributes);
  });
}

interface ClientAttributes {
  /** Who asks: `oauth2.client.id` (when there is one) and `oauth2.grant.type`. */
  readonly identity: Attributes;
  /** On token metrics: the identity and the token endpoint's `server.address` and `server.port`. */
  readonly metric: Attributes;
  /** On the span: those, `url.full` (origin and path, never a query) and `oauth2.scope`. */
  readonly span: Attributes;
}

function describeClient(client: ClientFields): ClientAttributes {
  const identity: Attributes = { 'oauth2.grant.type': client.grantType };
  if (client.clientId !== undefined) identity['oauth2.client.id'] = client.clientId;
  const metric: Attributes = { ...serverAttributes(client.tokenEndpoint), ...identity };
  const span: Attributes = { ...metric, 'url.full': client.tokenEndpoint };
  if (client.scope !== undefined) span['oauth2.scope'] = client.scope;
  return { identity, metric, span };
}

/** What a failure adds: the library's error code as `error.type`, the HTTP status and RFC 6749 `error` when there were some. */
function failureAttributes(failure: FailureFields): Attributes {
  const attributes: Attributes = { 'error.type': failure.errorCode };
  if (failure.status !== undefined) attributes['http.response.status_code'] = failure.status;
  if (failure.error !== undefined) attributes['oauth2.error'] = ERROR_CODE.test(failure.error) ? failure.error : '_OTHER';
  return attributes;
}

/** `server.address` and `server.port` of a URL (the port even when it is the scheme's default); none for a URL that does not parse. */
function serverAttributes(href: string): Attributes {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return {};
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
  const attributes: Attributes = { 'server.address': url.hostname.replace(/^\[(.*)\]$/, '$1') };
  if (port !== undefined) attributes['server.port'] = port;
  return attributes;
}

let noopTracerProvider: TracerProvider | undefined;

/** Whether a tracer provider is registered: the global proxy delegates to one other than the no-op. */
function isTracing(otel: Api): boolean {
  // The one way in API 1.x to get the no-op provider the global proxy delegates to until an SDK registers.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  noopTracerProvider ??= new otel.ProxyTracerProvider().getDelegate();
  const provider = otel.trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  return (typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider) !== noopTracerProvider;
}

interface Instruments {
  readonly meter: Meter;
  readonly tokenRequests: Counter;
  readonly tokenFetchDuration: Histogram;
  readonly cooldownRejections: Counter;
  readonly replays: Counter;
}

let current: Instruments | undefined;
/** The class of the API's no-op meter, what `getMeter` gives while no meter provider is registered. */
let noopMeter: Class | undefined;

/**
 * The instruments of the meter registered now, or undefined while none is. The global
 * meter provider is not a proxy: a meter taken before an SDK was registered stays a no-op,
 * so the meter is asked for at each use, and the instruments are made again when it changes.
 */
function instruments(otel: Api): Instruments | undefined {
  const meter = otel.metrics.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
  if (current?.meter === meter) return current;
  noopMeter ??= otel.createNoopMeter().constructor as Class;
  if (isInstance(meter, noopMeter)) return undefined;
  current = {
    meter,
    tokenRequests: meter.createCounter(METRICS.tokenRequests, {
      unit: '{request}',
      description: 'Token requests sent to the token endpoint, one per attempt, by result.',
    }),
    tokenFetchDuration: meter.createHistogram(METRICS.tokenFetchDuration, {
      unit: 's',
      description: 'Duration of token fetches: from the first token request to a token or the final failure, retries included.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    cooldownRejections: meter.createCounter(METRICS.cooldownRejections, {
      unit: '{rejection}',
      description: 'Requests refused at once because the token endpoint is cooling down after a failed fetch.',
    }),
    replays: meter.createCounter(METRICS.replays, {
      unit: '{replay}',
      description: 'Requests answered 401 and sent again with a fresh token.',
    }),
  };
  return current;
}

type Class = abstract new (...args: never[]) => object;

/** `instanceof` without narrowing `value` (a Meter is an interface: narrowing it would leave `never`). */
function isInstance(value: object, type: Class): boolean {
  return value instanceof type;
}
