import axios, {
  AxiosHeaders,
  isAxiosError,
  type AxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
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
 * How many of its latest Authorization values the plugin recognizes as its own on a
 * failed request. Tokens change once per lifetime, so a request would have to outlive
 * this many renewals to be missed (and then it is simply not replayed).
 */
const RECOGNIZED_HEADERS = 16;

/**
 * Installs the request interceptors (attach the token) and the response interceptor
 * (on 401: invalidate, refresh, replay) on `instance`. Returns the function that removes them.
 */
export function installInterceptors(instance: AxiosInstance, { manager, retries, isAllowedOrigin }: InterceptorOptions): () => void {
  // The Authorization values this library made, newest first: a failed request that
  // still carries one of them is ours to replay and to redact.
  const recentHeaders: string[] = [];
  // The body of each request before axios serialized it, so that a replay sends the
  // same bytes. Kept off the config: a config ends up in logs.
  const originalBody = new WeakMap<InternalAxiosRequestConfig, unknown>();
  let lastToken: string | undefined;
  let lastHeader = '';

  const bearer = (token: string): string => {
    if (token !== lastToken) {
      lastToken = token;
      lastHeader = `Bearer ${token}`;
      recentHeaders.unshift(lastHeader);
      if (recentHeaders.length > RECOGNIZED_HEADERS) recentHeaders.pop();
    }
    return lastHeader;
  };

  const attach = (config: InternalAxiosRequestConfig, token: string): InternalAxiosRequestConfig => {
    const header = bearer(token);
    // Not headers.set(): hasOwnCredentials() has just found no Authorization in any letter
    // case, and the value is a checked token, so normalizing and sanitizing it again is waste.
    config.headers.Authorization = header;
    if (config.data !== undefined) originalBody.set(config, config.data);
    return config;
  };

  const isOurs = (config: InternalAxiosRequestConfig): boolean => {
    if (!(config.headers instanceof AxiosHeaders)) config.headers = AxiosHeaders.from(config.headers);
    return !hasOwnCredentials(config) && isAllowedOrigin(config);
  };

  /** The hot path: a usable token is cached, so it is attached without waiting. */
  const attachCachedToken = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig => {
    if (!isOurs(config)) return config;
    // runWhen saw a usable token; should it have expired (by its safety margin) or been
    // refused since, the latest one still goes out and a 401 would bring the replay.
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

  /** The header this library attached to the failed request, if the request still carries it. */
  const ourHeaderOn = (error: unknown): string | undefined => {
    const config = isAxiosError(error) ? error.config : undefined;
    const header = config?.headers.get('Authorization');
    return typeof header === 'string' && recentHeaders.includes(header) ? header : undefined;
  };

  /** Replays the request with fresh tokens while it is answered 401, at most `retries` times. */
  const replayWhileUnauthorized = async (error: AxiosError, header: string): Promise<AxiosResponse> => {
    const config = error.config!;
    const body = originalBody.get(config);
    let failure = error;
    let refused = header;
    for (let replays = 0; isUnauthorized(failure) && replays < retries && isReplayableBody(body); replays++) {
      // Only a 401 from the resource means the token was refused (RFC 6750 §3.1).
      manager.invalidate(refused.slice('Bearer '.length));
      discardStreamedBody(failure);
      refused = bearer(await unlessCanceled(() => manager.getToken(), config));
      try {
        // Sent by a copy of the instance without its interceptors: the caller's
        // interceptors see one request and its final outcome, however many replays it took.
        return await axios.create(instance.defaults).request(replayOf(config, body, refused));
      } catch (next) {
        if (!isAxiosError(next)) throw next;
        failure = next;
      }
    }
    if (isUnauthorized(failure)) manager.invalidate(refused.slice('Bearer '.length));
    throw failure;
  };

  const onResponseError = (error: unknown): Promise<AxiosResponse> => {
    const header = ourHeaderOn(error);
    if (header === undefined) return Promise.reject(error);
    return replayWhileUnauthorized(error as AxiosError, header).catch((final: unknown) => {
      // Whatever ends it (the last 401, another failure, a cancel while waiting for a
      // token), no token of ours leaves with the error.
      if (isAxiosError(final)) redactBearerTokens(final, recentHeaders);
      throw final;
    });
  };

  // Two request interceptors, of which axios runs only those whose runWhen holds, checked
  // before any interceptor runs. With a token cached only the synchronous one runs, and
  // when every request interceptor of the instance is synchronous axios skips building a
  // promise chain: that is most of this plugin's cost per request. A token can go stale
  // between the two checks (both run then; the second sees the first one's header and
  // steps aside) but never become fresh, so at least one of them always runs.
  const ids = [
    instance.interceptors.request.use(attachCachedToken, undefined, { synchronous: true, runWhen: () => manager.peek() !== undefined }),
    instance.interceptors.request.use(attachFetchedToken, undefined, { runWhen: () => manager.peek() === undefined }),
  ];
  const responseId = instance.interceptors.response.use(undefined, onResponseError);
  return () => {
    for (const id of ids) instance.interceptors.request.eject(id);
    instance.interceptors.response.eject(responseId);
  };
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
