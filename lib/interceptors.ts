import {
  AxiosHeaders,
  isAxiosError,
  type AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { unlessCanceled } from './cancellation';
import type { OriginFilter } from './origins';
import { redactBearerToken } from './redaction';
import { isReplayableBody } from './replay-body';
import type { TokenManager } from './token-manager';

/** Config key counting the replays of one user request; a number, so safe to log. */
export const REPLAY_COUNT_KEY = 'oauth2ReplayCount';

export interface InterceptorOptions {
  manager: TokenManager;
  retries: number;
  isAllowedOrigin: OriginFilter;
}

type ReplayableConfig = InternalAxiosRequestConfig & { [REPLAY_COUNT_KEY]?: number };

/**
 * Installs the request interceptor (attach the token) and the response interceptor
 * (on 401: invalidate, refresh, replay) on `instance`. Returns the function that removes both.
 */
export function installInterceptors(instance: AxiosInstance, { manager, retries, isAllowedOrigin }: InterceptorOptions): () => void {
  // What this library attached to each in-flight request, and the body before axios
  // transformed it, so that a replay sends the same bytes. Kept off the config: a
  // config ends up in logs, these must not.
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

  const onResponseError = (error: unknown): Promise<AxiosResponse> => {
    const config = isAxiosError(error) ? (error.config as ReplayableConfig | undefined) : undefined;
    const header = config && attachedHeader.get(config);
    if (config === undefined || header === undefined) return Promise.reject(error);
    const axiosError = error as AxiosError;
    // Only a 401 from the resource means the token was refused (RFC 6750 §3.1).
    if (axiosError.response?.status === 401) {
      manager.invalidate(header.slice('Bearer '.length));
      const replays = config[REPLAY_COUNT_KEY] ?? 0;
      const body = originalBody.get(config);
      if (replays < retries && isReplayableBody(body)) {
        return instance.request(replayOf(config, body, replays + 1));
      }
    }
    redactBearerToken(axiosError, header);
    return Promise.reject(error);
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

/** The same request again, with its original body and without the refused token. */
function replayOf(config: ReplayableConfig, body: unknown, replays: number): AxiosRequestConfig {
  const headers = AxiosHeaders.from(config.headers.toJSON());
  headers.delete('Authorization');
  // Recomputed by the adapter for the body it sends again.
  headers.delete('Content-Length');
  return { ...config, headers, data: body, [REPLAY_COUNT_KEY]: replays } as AxiosRequestConfig;
}
