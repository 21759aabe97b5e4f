import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { axiosTimeoutError, isAxiosError } from './errors';
import { BearerHeaders, tokenOf } from './bearer-headers';
import { CanceledWhileWaiting, deadlineOf, TimedOutWhileWaiting, unlessCanceled } from './cancellation';
import { createDispatchStep, SENT_WITHOUT_TOKEN, type DispatchedConfig } from './dispatch';
import type { OriginFilter } from './origins';
import { hideRequestsOnSocket, redactBearerTokens } from './redaction';
import { createReplayClient, ourHeaderOn, replayWhileUnauthorized, type ReplayContext } from './replay';
import { authorizationOf } from './request-headers';
import { endsWithDispatchStep, fuseIntoLast, isCopyOf, withDispatchStep } from './transforms';
import type { TokenManager } from '../token/manager';
import type { Emit } from '../telemetry/events';

export interface InterceptorOptions {
  manager: TokenManager;
  retries: number;
  origins: OriginFilter;
  /** Where replays are reported. */
  emit: Emit;
}

/** An interceptor as axios keeps it; read only through the manager's forEach (see README "Works with"). */
interface RegisteredInterceptor {
  fulfilled?: unknown;
  synchronous?: boolean;
}

interface InterceptorRegistry {
  use(fulfilled?: unknown, rejected?: unknown, options?: unknown): number;
  eject(id: number): void;
  forEach?: (visit: (interceptor: RegisteredInterceptor) => void) => void;
}

/**
 * Installs the request interceptors (make sure a token is there, add the dispatch step
 * that attaches it) and the response interceptor (on 401: invalidate, refresh, replay)
 * on `instance`. Everything is taken from the instance and its requests, never from a
 * copy of axios of our own. Returns the function that removes them.
 */
export function installInterceptors(instance: AxiosInstance, { manager, retries, origins, emit }: InterceptorOptions): () => void {
  const bearer = new BearerHeaders();
  const mark = Symbol('axios-client-credentials');
  const awaited = new WeakMap<object, string>();
  const dispatchContext = { manager, bearer, origins, retries, mark, awaited };
  const attachAtDispatch = createDispatchStep(dispatchContext);
  const replayContext: ReplayContext = {
    manager,
    bearer,
    retries,
    attachAtDispatch,
    replayClient: createReplayClient(instance),
    emit,
  };
  const requests = instance.interceptors.request as unknown as InterceptorRegistry;
  const responses = instance.interceptors.response as unknown as InterceptorRegistry;

  // The dispatch step rides fused into the last of the request's transforms. axios gives
  // each request its own copy of the instance's default transforms: that copy is changed
  // in place (no array per request). Anything else (transforms a request or an
  // interceptor brought, which may be shared) gets a new array. The instance's defaults
  // stay untouched, so instances made from it with create() carry no step of ours.
  const ensureDispatchStep = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig => {
    const transforms = config.transformRequest;
    if (endsWithDispatchStep(transforms, attachAtDispatch)) return config;
    if (isCopyOf(transforms, instance.defaults.transformRequest)) fuseIntoLast(transforms, attachAtDispatch);
    else config.transformRequest = withDispatchStep(transforms, attachAtDispatch) as never;
    return config;
  };

  /** The hot path: a usable token is cached; the dispatch step will attach it. */
  const whenTokenCached = ensureDispatchStep;

  /**
   * The cold path: no usable token, so a request that will want one waits for the shared
   * fetch. Its own signal, CancelToken and timeout end its wait (not the fetch, which the
   * others share), and the time waited counts against its timeout.
   */
  const whenTokenNeeded = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig> => {
    ensureDispatchStep(config);
    if (manager.peek() !== undefined || !mayWantToken(config)) return config;
    const waitStarted = performance.now();
    return unlessCanceled(() => manager.getToken({ deadline: deadlineOf(config) }), config).then(
      (token) => {
        awaited.set(config, token);
        return chargeWaitToTimeout(config, performance.now() - waitStarted);
      },
      (reason: unknown) => {
        // Handed back untouched: axios' dispatch sees the abort and raises its own cancel error.
        if (reason instanceof CanceledWhileWaiting) return config;
        if (reason instanceof TimedOutWhileWaiting) {
          return axiosTimeoutError(replayContext.replayClient(), config, config.timeout ?? 0).then((timedOut) => Promise.reject(timedOut));
        }
        return Promise.reject(reason);
      },
    );
  };

  /** Whether the request, as the interceptors leave it so far, is one the token would be attached to. */
  const mayWantToken = (config: DispatchedConfig): boolean => {
    const present = authorizationOf(config.headers, config.method);
    return config.auth == null && (present === undefined || bearer.isOurs(present)) && origins.allowsRequest(config);
  };

  const isOursToWatch = (config: unknown): boolean =>
    config != null && endsWithDispatchStep((config as DispatchedConfig).transformRequest, attachAtDispatch);

  /** A 401 the caller's validateStatus accepts is still a refused token: drop it. */
  const onResponse = (response: AxiosResponse): AxiosResponse => {
    if (!isOursToWatch(response.config)) return response;
    hideRequestsOnSocket(response.request);
    if (response.status === 401) {
      const header = ourHeaderOn(response.config, response.request, bearer);
      if (header !== undefined) manager.invalidate(tokenOf(header));
    }
    return response;
  };

  const onResponseError = (error: unknown): Promise<AxiosResponse> => {
    if (!isAxiosError(error)) return Promise.reject(error);
    if (isOursToWatch(error.config)) hideRequestsOnSocket(error.request);
    const header = ourHeaderOn(error.config, error.request, bearer);
    const sentWithoutToken =
      error.response?.status === 401 && (error.config as Record<symbol, unknown> | undefined)?.[mark] === SENT_WITHOUT_TOKEN;
    if (header === undefined && !sentWithoutToken) {
      // Not a refusal of our token; should it still carry one (sent again by hand), it must not leave with the error.
      redactBearerTokens(error, bearer.isOurs);
      return Promise.reject(error);
    }
    return replayWhileUnauthorized(replayContext, error, header).catch((final: unknown) => {
      // Whatever ends it (the last 401, another failure, a cancel), no token of ours leaves with the error.
      if (isAxiosError(final)) redactBearerTokens(final, bearer.isOurs);
      throw final;
    });
  };

  // Two request interceptors, of which axios runs the one whose runWhen holds (both are
  // asked, in this order, before any interceptor runs). When a token is cached and every
  // other request interceptor is synchronous, the synchronous one runs and axios skips
  // building a promise chain: that is most of this plugin's cost per request. It then
  // runs right after the check, so the token is still usable at dispatch. Otherwise the
  // asynchronous one runs at its turn in the chain, and waits for a token if needed.
  let fastPathChosen = false;
  const othersAreSynchronous = createSynchronyCheck(requests, whenTokenNeeded);
  const chooseFastPath = (): boolean => (fastPathChosen = manager.peek() !== undefined && othersAreSynchronous());
  const requestIds = [
    requests.use(whenTokenCached, undefined, { synchronous: true, runWhen: chooseFastPath }),
    requests.use(whenTokenNeeded, undefined, { runWhen: () => !fastPathChosen }),
  ];
  const responseId = responses.use(onResponse, onResponseError);
  return () => {
    // After interceptors.clear() (axios < 1.21 reuses ids from 0) an id may name the app's interceptor now.
    if (isRegistered(requests, whenTokenCached)) for (const id of requestIds) requests.eject(id);
    if (isRegistered(responses, onResponse)) responses.eject(responseId);
  };
}

/**
 * What is left of the request's timeout after `waitedMs` waiting for its token, so that
 * its timeout bounds the whole call. The message stays the one for the timeout it set.
 */
function chargeWaitToTimeout(config: InternalAxiosRequestConfig, waitedMs: number): InternalAxiosRequestConfig {
  const { timeout } = config;
  if (typeof timeout === 'number' && timeout > 0 && waitedMs >= 1) {
    config.timeoutErrorMessage ??= `timeout of ${timeout}ms exceeded`;
    config.timeout = Math.max(1, Math.round(timeout - waitedMs));
  }
  return config;
}

/**
 * Whether every request interceptor of the instance other than ours is synchronous. Read
 * through the interceptor manager's forEach, which axios itself uses to build the chain
 * (0.27 and every 1.x); without it, assume not, and take the asynchronous path. Our
 * asynchronous one is told by identity, never by id or position (our other one is
 * synchronous). The visitor is made once: this runs per request.
 */
function createSynchronyCheck(registry: InterceptorRegistry, ourAsynchronous: unknown): () => boolean {
  let synchronous = true;
  const visit = (interceptor: RegisteredInterceptor): void => {
    if (!interceptor.synchronous && interceptor.fulfilled !== ourAsynchronous) synchronous = false;
  };
  return () => {
    if (typeof registry.forEach !== 'function') return false;
    synchronous = true;
    registry.forEach(visit);
    return synchronous;
  };
}

function isRegistered(registry: InterceptorRegistry, fulfilled: unknown): boolean {
  if (typeof registry.forEach !== 'function') return true;
  let found = false;
  registry.forEach((interceptor) => {
    if (interceptor.fulfilled === fulfilled) found = true;
  });
  return found;
}
