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
import { redactBearerToken } from './redaction';
import { isReplayableBody } from './replay-body';
import type { TokenManager } from './token-manager';

export interface InterceptorOptions {
  manager: TokenManager;
  retries: number;
  isAllowedOrigin: OriginFilter;
}

/**
 * Installs the request interceptor (attach the token) and the response interceptor
 * (on 401: invalidate, refresh, replay) on `instance`. Returns the function that removes both.
 */
export function installInterceptors(instance: AxiosInstance, { manager, retries, isAllowedOrigin }: InterceptorOptions): () => void {
  // What this library attached to each in-flight request, and the body before axios
  // serialized it, so that a replay sends the same bytes. Kept off the config: a config
  // ends up in logs, these must not.
  const attachedHeader = new WeakMap<InternalAxiosRequestConfig, string>();
  const originalBody = new WeakMap<InternalAxiosRequestConfig, unknown>();
  let lastToken: string | undefined;
  let lastHeader = '';

  const bearer = (token: string): string => {
    if (token !== lastToken) {
      lastToken = token;
      lastHeader = `Bearer ${token}`;
    }
    return lastHeader;
  };

  const attach = (config: InternalAxiosRequestConfig, token: string): InternalAxiosRequestConfig => {
    const header = bearer(token);
    config.headers.set('Authorization', header);
    attachedHeader.set(config, header);
    if (config.data !== undefined) originalBody.set(config, config.data);
    return config;
  };

  const onRequest = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig> => {
    if (!(config.headers instanceof AxiosHeaders)) config.headers = AxiosHeaders.from(config.headers);
    if (hasOwnCredentials(config) || !isAllowedOrigin(config)) return config;
    const token = manager.peek();
    if (token !== undefined) return attach(config, token);
    return unlessCanceled(() => manager.getToken(), config).then((fresh) => attach(config, fresh));
  };

  /** The header this library attached to the failed request, if the request still carries it. */
  const ourHeaderOn = (error: unknown): string | undefined => {
    const config = isAxiosError(error) ? error.config : undefined;
    const header = config && attachedHeader.get(config);
    // A later interceptor may have put its own credentials in place of ours.
    return header !== undefined && config!.headers.get('Authorization') === header ? header : undefined;
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
      const replay = replayOf(config, body, refused);
      try {
        // Sent by a copy of the instance without its interceptors: the caller's
        // interceptors see one request and its final outcome, however many replays it took.
        return await axios.create(instance.defaults).request(replay);
      } catch (next) {
        if (!isAxiosError(next)) throw next;
        attachedHeader.set(next.config!, refused);
        failure = next;
      }
    }
    if (isUnauthorized(failure)) manager.invalidate(refused.slice('Bearer '.length));
    redactBearerToken(failure, refused);
    throw failure;
  };

  const onResponseError = (error: unknown): Promise<AxiosResponse> => {
    const header = ourHeaderOn(error);
    if (header === undefined) return Promise.reject(error);
    return replayWhileUnauthorized(error as AxiosError, header);
  };

  const requestId = instance.interceptors.request.use(onRequest);
  const responseId = instance.interceptors.response.use(undefined, onResponseError);
  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}

/** A request that brought its own credentials (header, or axios' `auth` for Basic) is none of our business. */
function hasOwnCredentials(config: InternalAxiosRequestConfig): boolean {
  return config.auth != null || config.headers.has('Authorization');
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
