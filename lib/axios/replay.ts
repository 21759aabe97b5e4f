import type { AxiosInstance, AxiosResponse } from 'axios';
import { axiosTimeoutError, isAxiosError, type AxiosErrorLike } from './errors';
import { tokenOf, type BearerHeaders } from './bearer-headers';
import { CanceledWhileWaiting, deadlineOf, TimedOutWhileWaiting, unlessCanceled } from './cancellation';
import type { DispatchedConfig, DispatchStep } from './dispatch';
import { authorizationOf, copyHeaders, removeAuthorization, removeHeader } from './request-headers';
import { hideRequestsOnSocket } from './redaction';
import { isReplayableBody } from './replay-body';
import type { TokenManager } from '../token/manager';
import type { Emit } from '../telemetry/events';
import { requestURLForEvents } from './origins';

/** What a replay needs from the installed plugin. */
export interface ReplayContext {
  manager: TokenManager;
  bearer: BearerHeaders;
  retries: number;
  /** The dispatch step: a replay, sent without our interceptors, gets it as its only transform. */
  attachAtDispatch: DispatchStep;
  /** An interceptor-free instance of the same axios copy as the authorized one. */
  replayClient: () => AxiosInstance;
  /** Where replays are reported. */
  emit: Emit;
}

/**
 * The Authorization value of ours a request was sent with, if the hop that answered
 * carried it: a 401 is a refusal of our token only then. Node's http adapter hands over
 * the request of that last hop, whose headers are what went on the wire (a redirect to
 * an origin not allowed took the token off); other adapters, only the config. The
 * dispatch step sends ours only to allowed origins.
 */
export function ourHeaderOn(config: unknown, request: unknown, bearer: BearerHeaders): string | undefined {
  const lastHop = request as { getHeader?: (name: string) => unknown } | null | undefined;
  let value: unknown;
  if (typeof lastHop?.getHeader === 'function') value = lastHop.getHeader('authorization');
  else if (config !== null && typeof config === 'object') value = authorizationOf((config as DispatchedConfig).headers, undefined);
  return bearer.isOurs(value) ? value : undefined;
}

/**
 * Replays the request with fresh tokens while it is answered 401, at most `retries`
 * times (SPEC §5). Each replay is sent as the request was finally sent (its merged
 * config, the same bytes) through an interceptor-free sibling instance, so the caller's
 * interceptors see one request and its final outcome however many replays it took.
 */
export async function replayWhileUnauthorized(
  context: ReplayContext,
  error: AxiosErrorLike,
  header: string | undefined,
): Promise<AxiosResponse> {
  const { manager, retries } = context;
  // Our dispatch step made config.data the serialized bytes as they were sent (a copy).
  const body: unknown = error.config?.data;
  let failure = error;
  // Undefined at first for a request that reached an allowed origin before any token was ready.
  let refused: string | undefined = header;
  for (let replays = 0; isUnauthorized(failure) && replays < retries && isReplayableBody(body); replays++) {
    // Only a 401 from the resource means the token was refused (RFC 6750 §3.1).
    const config = failure.config;
    // An axios error always has its config; one without it is nothing we could send again.
    if (config === undefined) break;
    if (refused !== undefined) manager.invalidate(tokenOf(refused));
    discardStreamedBody(failure);
    try {
      await unlessCanceled(() => manager.getToken({ deadline: deadlineOf(config) }), config);
    } catch (reason) {
      if (reason instanceof CanceledWhileWaiting) return raiseAxiosCancel(context, config);
      if (reason instanceof TimedOutWhileWaiting) throw await axiosTimeoutError(context.replayClient(), config, config.timeout ?? 0);
      throw reason;
    }
    context.emit('request:replay', {
      replay: replays + 1,
      method: (config.method ?? 'get').toUpperCase(),
      url: requestURLForEvents(config),
    });
    try {
      const response = await context.replayClient().request(replayOf(context, config, body) as never);
      hideRequestsOnSocket(response.request);
      return response;
    } catch (next) {
      if (!isAxiosError(next)) throw next;
      hideRequestsOnSocket(next.request);
      failure = next;
      refused = ourHeaderOn(next.config, next.request, context.bearer);
      // The replay did not carry our token where it was answered (a redirect took it off): not ours.
      if (refused === undefined) break;
    }
  }
  if (refused !== undefined && isUnauthorized(failure)) manager.invalidate(tokenOf(refused));
  throw failure;
}

/** The same request again: same config and headers, the bytes first sent; the dispatch step attaches the new token. */
function replayOf({ bearer, attachAtDispatch }: ReplayContext, config: DispatchedConfig, body: unknown): DispatchedConfig {
  const headers = copyHeaders(config.headers);
  removeAuthorization(headers, bearer.isOurs);
  // Recomputed by the adapter for the body it sends again.
  removeHeader(headers, 'content-length');
  // The body is already serialized: no transform but ours may touch it again.
  return { ...config, headers, data: body, transformRequest: [attachAtDispatch] };
}

/**
 * The request was canceled while it waited for the replay's token. Handing it to axios
 * makes axios raise its own cancel error (the app's class, whatever copy): its dispatch
 * checks the signal before anything else, and the adapter below is never reached.
 */
function raiseAxiosCancel({ bearer, replayClient }: ReplayContext, config: DispatchedConfig): Promise<never> {
  const headers = copyHeaders(config.headers);
  removeAuthorization(headers, bearer.isOurs);
  const neverSent = (): Promise<never> => Promise.reject(new CanceledWhileWaiting());
  return replayClient().request<never, never>({
    ...config,
    headers,
    data: undefined,
    transformRequest: [],
    adapter: neverSent,
  } as never);
}

function isUnauthorized(error: AxiosErrorLike): boolean {
  return error.response?.status === 401;
}

/**
 * A 401 answered as a stream (responseType 'stream') holds its connection until read:
 * release it before the replay. A Node stream (http adapter) is destroyed; a web
 * ReadableStream (fetch adapter) is canceled.
 */
function discardStreamedBody(error: AxiosErrorLike): void {
  const data = error.response?.data as
    { destroy?: () => void; pipe?: unknown; cancel?: () => Promise<void>; getReader?: unknown } | undefined;
  if (!data) return;
  if (typeof data.pipe === 'function' && typeof data.destroy === 'function') data.destroy();
  else if (typeof data.getReader === 'function' && typeof data.cancel === 'function') data.cancel().catch(() => undefined);
}

/**
 * An instance of the same axios copy as `instance`, without its interceptors, whose
 * defaults add no header: a replay carries the request's final headers, and a default
 * must not bring back one that an interceptor removed.
 */
export function createReplayClient(instance: AxiosInstance): () => AxiosInstance {
  let client: AxiosInstance | undefined;
  return () => {
    if (client === undefined) {
      client = instance.create();
      client.defaults.headers = {} as AxiosInstance['defaults']['headers'];
    }
    return client;
  };
}
