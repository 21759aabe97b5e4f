import axios, {
  Axios,
  AxiosHeaders,
  isAxiosError,
  type AxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { BearerHeaders, tokenOf } from './bearer-headers';
import { unlessCanceled } from './cancellation';
import type { OriginFilter } from './origins';
import { redactBearerTokens } from './redaction';
import { isReplayableBody } from './replay-body';
import type { TokenManager } from './token-manager';

export interface InterceptorOptions {
  manager: TokenManager;
  retries: number;
  isAllowedOrigin: OriginFilter;
}

/**
 * Installs the request interceptors (attach the token) and the response interceptor
 * (on 401: invalidate, refresh, replay) on `instance`. Returns the function that removes them.
 */
export function installInterceptors(instance: AxiosInstance, { manager, retries, isAllowedOrigin }: InterceptorOptions): () => void {
  const bearer = new BearerHeaders();
  // The body of each request before axios serialized it, so that a replay sends the
  // same bytes. Kept off the config: a config ends up in logs.
  const originalBody = new WeakMap<InternalAxiosRequestConfig, unknown>();
  const replayContext: ReplayContext = { instance, manager, bearer, retries, originalBody };

  // The body as the last request interceptor left it, captured as axios starts
  // serializing it (transformRequest runs with the config as `this`).
  const captureBody = function (this: InternalAxiosRequestConfig, data: unknown): unknown {
    originalBody.set(this, data);
    return data;
  };

  const attach = (config: InternalAxiosRequestConfig, token: string): InternalAxiosRequestConfig => {
    const header = bearer.for(token);
    // Not headers.set(): hasOwnCredentials() has just found no Authorization in any letter
    // case, and the value is a checked token, so normalizing and sanitizing it again is waste.
    config.headers.Authorization = header;
    if (config.data !== undefined) config.transformRequest = [captureBody, ...asArray(config.transformRequest)];
    return config;
  };

  const isOurs = (config: InternalAxiosRequestConfig): boolean => {
    if (!(config.headers instanceof AxiosHeaders)) config.headers = AxiosHeaders.from(config.headers);
    return !hasOwnCredentials(config) && isAllowedOrigin(config);
  };

  /** The hot path: a usable token is cached, so it is attached without waiting. */
  const attachCachedToken = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig => {
    if (!isOurs(config)) return config;
    // runWhen saw a usable token an instant ago. Should its safety margin have begun since,
    // it is still valid at the server; `latest()` is that token.
    const token = manager.peek() ?? manager.latest();
    if (token === undefined) throw new Error('axios-client-credentials: no token to attach (please report this)');
    return attach(config, token);
  };

  /** The cold path: no usable token, so the request waits for the shared fetch. */
  const attachFetchedToken = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig> => {
    if (!isOurs(config)) return config;
    const token = manager.peek();
    if (token !== undefined) return attach(config, token);
    return unlessCanceled(() => manager.getToken(), config).then((fresh) => attach(config, fresh));
  };

  /**
   * The header this library attached to a request, if the request still carries it and
   * goes to an allowed origin (a caller may pass our token elsewhere by hand: not ours).
   */
  const ourHeaderOn = (config: InternalAxiosRequestConfig | undefined): string | undefined => {
    const header = config && sentHeader(config);
    return bearer.isOurs(header) && isAllowedOrigin(config!) ? header : undefined;
  };

  /** A 401 the caller's validateStatus accepts is still a refused token: drop it. */
  const onResponse = (response: AxiosResponse): AxiosResponse => {
    if (response.status === 401) {
      const header = ourHeaderOn(response.config);
      if (header !== undefined) manager.invalidate(tokenOf(header));
    }
    return response;
  };

  const onResponseError = (error: unknown): Promise<AxiosResponse> => {
    const config = isAxiosError(error) ? error.config : undefined;
    const header = ourHeaderOn(config);
    if (header === undefined) {
      // Not ours to replay, but if it carries our token (its origin changed after we
      // attached it), the token still must not leave with the error.
      if (config && bearer.isOurs(sentHeader(config))) redactBearerTokens(error as AxiosError, bearer.recent);
      return Promise.reject(error);
    }
    return replayWhileUnauthorized(replayContext, error as AxiosError, header).catch((final: unknown) => {
      // Whatever ends it (the last 401, another failure, a cancel while waiting for a
      // token), no token of ours leaves with the error.
      if (isAxiosError(final)) redactBearerTokens(final, bearer.recent);
      throw final;
    });
  };

  // Two request interceptors, of which axios runs only the one whose runWhen holds; both
  // are checked, in this order, before any interceptor runs. When a token is cached (on
  // axios 1.19 or later, see SYNCHRONOUS_PATH_IS_SAFE) and
  // every other request interceptor of the instance is synchronous, the synchronous one
  // runs, and axios skips building a promise chain: that is most of this plugin's cost
  // per request. It then runs right after the check, so its token is still usable. In
  // any other case the asynchronous one runs, which can wait for a token.
  let fastPathChosen = false;
  const chooseFastPath = (): boolean =>
    (fastPathChosen = SYNCHRONOUS_PATH_IS_SAFE && manager.peek() !== undefined && othersAreSynchronous(instance, ids));
  const ids: number[] = [];
  ids.push(
    instance.interceptors.request.use(attachCachedToken, undefined, { synchronous: true, runWhen: chooseFastPath }),
    instance.interceptors.request.use(attachFetchedToken, undefined, { runWhen: () => !fastPathChosen }),
  );
  const responseId = instance.interceptors.response.use(onResponse, onResponseError);
  return () => {
    for (const id of ids) instance.interceptors.request.eject(id);
    instance.interceptors.response.eject(responseId);
  };
}

/** What a replay needs from the installed plugin. */
interface ReplayContext {
  instance: AxiosInstance;
  manager: TokenManager;
  bearer: BearerHeaders;
  retries: number;
  /** The body of each request before axios serialized it. */
  originalBody: WeakMap<InternalAxiosRequestConfig, unknown>;
}

/** Replays the request with fresh tokens while it is answered 401, at most `retries` times. */
async function replayWhileUnauthorized(context: ReplayContext, error: AxiosError, header: string): Promise<AxiosResponse> {
  const { instance, manager, bearer, retries, originalBody } = context;
  const config = error.config!;
  // A later interceptor may have replaced transformRequest: then the body was not seen
  // before serialization, and it cannot be replayed faithfully.
  const bodyKnown = config.data === undefined || originalBody.has(config);
  const body = originalBody.get(config);
  let failure = error;
  let refused = header;
  for (let replays = 0; isUnauthorized(failure) && replays < retries && bodyKnown && isReplayableBody(body); replays++) {
    // Only a 401 from the resource means the token was refused (RFC 6750 §3.1).
    manager.invalidate(tokenOf(refused));
    discardStreamedBody(failure);
    refused = bearer.for(await unlessCanceled(() => manager.getToken(), config));
    try {
      // The config is already merged with the instance's defaults, so it is sent as it is,
      // without interceptors: the caller's see one request and its final outcome, however
      // many replays it took. Only the adapter is taken from the instance, for configs
      // that lack it (axios-mock-adapter's).
      return await new Axios({ adapter: instance.defaults.adapter }).request(replayOf(config, body, refused));
    } catch (next) {
      if (!isAxiosError(next)) throw next;
      failure = next;
    }
  }
  if (isUnauthorized(failure)) manager.invalidate(tokenOf(refused));
  throw failure;
}

/**
 * Before axios 1.19, a synchronous request chain let an error thrown while dispatching
 * (a pre-aborted signal, a throwing transformRequest) skip every response interceptor,
 * ours and its redaction included; there the fast path is never chosen.
 */
const SYNCHRONOUS_PATH_IS_SAFE = isAtLeast(axios.VERSION, [1, 19]);

function isAtLeast(version: string | undefined, [major, minor]: readonly [number, number]): boolean {
  const [actualMajor = 0, actualMinor = 0] = String(version ?? '').split('.').map(Number);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

/** Whether every active request interceptor of the instance, other than ours, is synchronous. */
function othersAreSynchronous(instance: AxiosInstance, ours: readonly number[]): boolean {
  const handlers = (instance.interceptors.request as unknown as { handlers?: Array<{ synchronous?: boolean } | null> }).handlers;
  if (!Array.isArray(handlers)) return false;
  for (let id = 0; id < handlers.length; id++) {
    const handler = handlers[id];
    if (handler !== null && handler !== undefined && !handler.synchronous && !ours.includes(id)) return false;
  }
  return true;
}

/** A request that brought its own credentials (header, or axios' `auth` for Basic) is none of our business. */
function hasOwnCredentials(config: InternalAxiosRequestConfig): boolean {
  return config.auth != null || hasAuthorization(config.headers);
}

/**
 * AxiosHeaders#has('Authorization'), without its allocations (a lower-cased copy of the
 * name and of every key, and an array of the keys) on every request.
 */
function hasAuthorization(headers: AxiosHeaders): boolean {
  for (const key in headers) {
    if (key.length === 13 && Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === 'authorization') {
      return (headers as unknown as Record<string, unknown>)[key] !== undefined;
    }
  }
  return false;
}

/** The Authorization value a request carries, if its headers are axios' own. */
function sentHeader(config: InternalAxiosRequestConfig): unknown {
  return config.headers instanceof AxiosHeaders ? config.headers.get('Authorization') : undefined;
}

function asArray<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as T];
}

function isUnauthorized(error: AxiosError): boolean {
  return error.response?.status === 401;
}

/** The same request again: same config and headers, the original body, a new token. */
function replayOf(config: InternalAxiosRequestConfig, body: unknown, authorization: string): InternalAxiosRequestConfig {
  // A copy keeps headers set to `false` (suppressed) suppressed.
  const headers = new AxiosHeaders(config.headers);
  // Recomputed by the adapter for the body it sends again.
  headers.delete('Content-Length');
  headers.set('Authorization', authorization, true);
  return { ...config, headers, data: body };
}

/** A 401 answered as a stream (responseType 'stream') holds its socket until read; release it. */
function discardStreamedBody(error: AxiosError): void {
  const data = error.response?.data as { destroy?: () => void; pipe?: unknown } | undefined;
  if (data && typeof data.pipe === 'function' && typeof data.destroy === 'function') data.destroy();
}
