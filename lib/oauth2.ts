import type { AxiosInstance } from 'axios';
import { InvalidOptionsError } from './errors';
import { installInterceptors } from './axios/interceptors';
import { isAxiosInstance, resolveOptions, type OAuth2Options } from './options';
import { createOriginFilter } from './axios/origins';
import { clientFields, EVENT_NAMES, EventHub, type OAuth2EventName, type OAuth2Listener } from './telemetry/events';
import { logEvents, reportListenerFailures } from './telemetry/logger';
import { recordWithOpenTelemetry } from './telemetry/opentelemetry';
import { createTokenFetcher } from './token/request';
import { TokenManager } from './token/manager';
import { StoreSharing } from './stores/shared-source';
import type { ResolvedStore } from './stores/options';
import type { Emit } from './telemetry/events';

/** Options of `handle.getToken()`. */
export interface GetTokenOptions {
  /**
   * Skip the cached token and get a new one: from the fetch already in flight, if any
   * (what it brings is new), else from a new token request. The cooldown after a failed
   * fetch still applies: during it, this rejects at once with that fetch's error.
   */
  forceRefresh?: boolean;
}

/** What `oauth2()` returns: a handle on the token and on the interceptors it installed. */
export interface OAuth2Handle {
  /** The current access token, fetching one if none is cached (shared with concurrent requests). */
  getToken(options?: GetTokenOptions): Promise<string>;
  /** Drops the cached token; the next request fetches a new one. */
  invalidate(): void;
  /** Removes both interceptors: the instance behaves as before `oauth2()` was called. */
  eject(): void;
  /**
   * Calls `listener` synchronously each time `event` happens (token fetches, attempts,
   * failures, cooldown refusals, invalidations, replays; see OAuth2EventMap). A listener
   * that throws does not affect requests. Returns the function that removes it.
   */
  on<Name extends OAuth2EventName>(event: Name, listener: OAuth2Listener<Name>): () => void;
}

/**
 * Gives `instance` OAuth2 authentication: tokens from the client-credentials grant (RFC
 * 6749 §4.4, the default), the password grant (§4.3) or the jwt-bearer grant (RFC 7523
 * §2.1), the client authenticating with a shared secret (`client_secret_basic`,
 * `client_secret_post`), a signed JWT (`private_key_jwt`, `client_secret_jwt`) or an
 * assertion from elsewhere (`clientAssertion`). Every request to an allowed origin
 * carries a cached bearer token, and a 401 answer is replayed with a fresh token up to
 * `retries` times. Throws InvalidOptionsError for bad options before anything is sent.
 */
export function oauth2(instance: AxiosInstance, options: OAuth2Options): OAuth2Handle {
  if (!isAxiosInstance(instance)) {
    throw new InvalidOptionsError('instance', 'expected an axios instance, e.g. axios.create({ baseURL })');
  }
  const resolved = resolveOptions(options);
  if (resolved.backend === instance) {
    // Its interceptors would attach our bearer token to the token request, and recurse.
    throw new InvalidOptionsError('backend', 'must not be the instance being authorized; pass another axios instance or a request config');
  }
  const events = new EventHub(clientFields(resolved), resolved.logger === undefined ? undefined : reportListenerFailures(resolved.logger));
  if (resolved.logger !== undefined) logEvents(events, resolved.logger);
  if (resolved.openTelemetry) recordWithOpenTelemetry(events);
  const { fetchToken, timeoutMs } = createTokenFetcher(resolved);
  const manager = new TokenManager(fetchToken, {
    defaultLifetimeMs: resolved.defaultLifetimeMs,
    retryPolicy: resolved.tokenRetry,
    sharing: resolved.store === undefined ? undefined : sharingThrough(resolved.store, timeoutMs, events.emit),
    emit: events.emit,
  });
  const eject = installInterceptors(instance, {
    manager,
    retries: resolved.retries,
    origins: createOriginFilter(resolved.origins, () => instance.defaults.baseURL),
    emit: events.emit,
  });
  return new Handle(manager, events, eject);
}

/** Private fields keep the token manager (and through it the credentials) out of util.inspect. */
class Handle implements OAuth2Handle {
  readonly #manager: TokenManager;
  readonly #events: EventHub;
  readonly #eject: () => void;

  constructor(manager: TokenManager, events: EventHub, eject: () => void) {
    this.#manager = manager;
    this.#events = events;
    this.#eject = eject;
  }

  // Arrow properties, so `const { getToken } = oauth2(...)` works too.
  // `null` from JavaScript callers counts as no options.
  readonly getToken = (options: GetTokenOptions | null = {}): Promise<string> =>
    this.#manager.getToken({ forceRefresh: options?.forceRefresh === true });
  readonly invalidate = (): void => this.#manager.invalidate();
  readonly eject = (): void => this.#eject();
  readonly on = <Name extends OAuth2EventName>(event: Name, listener: OAuth2Listener<Name>): (() => void) => {
    if (!EVENT_NAMES.includes(event)) {
      const given: unknown = event;
      const shown = typeof given === 'string' ? JSON.stringify(given) : `of type ${typeof given}`;
      throw new InvalidOptionsError('event', `unknown event ${shown}; expected one of ${EVENT_NAMES.join(', ')}`);
    }
    if (typeof listener !== 'function') throw new InvalidOptionsError('listener', `expected a function for event "${event}"`);
    return this.#events.on(event, listener);
  };
}

/** How long the fetching process holds the lease by default: past its token request's timeout, with room to store the token. */
const LEASE_MARGIN_MS = 5_000;

function sharingThrough({ store, entry, timing }: ResolvedStore, tokenTimeoutMs: number, emit: Emit): StoreSharing {
  return new StoreSharing(store, entry, { ...timing, leaseTtlMs: timing.leaseTtlMs ?? tokenTimeoutMs + LEASE_MARGIN_MS }, emit);
}
