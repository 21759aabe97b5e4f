import { InvalidTokenResponseError, OAuth2Error, TokenEndpointError, type ErrorCode } from '../errors';

/**
 * Who asks for tokens, in every event: enough to tell clients apart in a log or a
 * dashboard, nothing that authenticates. The client id is public (RFC 6749 §2.2); the
 * token endpoint is shown without its query string.
 */
export interface ClientFields {
  /** The token endpoint: origin and path, never the query. */
  tokenEndpoint: string;
  /** The client id, when the client has one. */
  clientId?: string;
  /** The grant type sent (`client_credentials`, `password`, the jwt-bearer URN). */
  grantType: string;
  /** The scope requested, when not empty. */
  scope?: string;
}

/** What went wrong, as far as it can be told without any credential. */
export interface FailureFields {
  /** The library's error code, e.g. `ERR_OAUTH2_TOKEN_ENDPOINT`. */
  errorCode: ErrorCode | 'ERR_UNKNOWN';
  /** The error's message (the library's messages carry no credential). */
  errorMessage: string;
  /** The token endpoint's HTTP status, when it answered. */
  status?: number;
  /** RFC 6749 §5.2 `error` the token endpoint sent, e.g. `invalid_client`. */
  error?: string;
}

/**
 * Every moment the plugin reports, by name, with the fields it reports it with (besides
 * the ClientFields every event carries). `fetchId` ties together the events of one
 * token fetch: one fetch is shared by every request waiting at the time and may make
 * several attempts (HTTP token requests).
 */
export interface OAuth2EventMap {
  /** A token fetch starts: no usable token (or a renewal ahead of expiry, `renewal: true`). */
  'token:fetch': { fetchId: number; renewal: boolean };
  /** One token request of a fetch is about to be sent; `attempt` counts from 1. */
  'token:attempt': { fetchId: number; attempt: number; renewal: boolean };
  /**
   * One token request failed. `retryInMs` says when the next attempt of this fetch starts;
   * absent when there is none (the fetch fails, see `token:failed`).
   */
  'token:attempt-failed': FailureFields & { fetchId: number; attempt: number; durationMs: number; retryInMs?: number; renewal: boolean };
  /** The fetch obtained a token. `expiresInMs` when the server said (`expires_in`). */
  'token:issued': { fetchId: number; attempts: number; durationMs: number; renewal: boolean; expiresInMs?: number };
  /**
   * The fetch failed for good. Its callers get the error; for `cooldownMs` after it, requests
   * that need a token fail at once with the same error instead of starting another fetch.
   * `tokenStillValid`: a renewal failed while the cached token still serves requests.
   */
  'token:failed': FailureFields & {
    fetchId: number;
    attempts: number;
    durationMs: number;
    renewal: boolean;
    cooldownMs: number;
    tokenStillValid: boolean;
  };
  /**
   * The cached token was dropped: `'unauthorized'` (a resource answered 401 to it),
   * `'manual'` (`handle.invalidate()`), `'force-refresh'` (`getToken({ forceRefresh: true })`).
   */
  'token:invalidated': { reason: 'unauthorized' | 'manual' | 'force-refresh' };
  /**
   * A request was refused at once because the token endpoint is cooling down after a
   * failure; `remainingMs` until the next fetch may start.
   */
  'token:cooldown-rejected': FailureFields & { remainingMs: number };
  /**
   * A request answered 401 is sent again with a fresh token; `replay` counts from 1 up to
   * the `retries` option. `url` is the request's origin and path, never its query.
   */
  'request:replay': { replay: number; method: string; url: string };
}

export type OAuth2EventName = keyof OAuth2EventMap;

/** Every event name, for checking a name given at run time. */
export const EVENT_NAMES: readonly OAuth2EventName[] = [
  'token:fetch',
  'token:attempt',
  'token:attempt-failed',
  'token:issued',
  'token:failed',
  'token:invalidated',
  'token:cooldown-rejected',
  'request:replay',
];

/** What a listener of `name` receives: the event's own fields and the client's. */
export type OAuth2Event<Name extends OAuth2EventName = OAuth2EventName> = ClientFields & OAuth2EventMap[Name] & { event: Name };

export type OAuth2Listener<Name extends OAuth2EventName> = (event: OAuth2Event<Name>) => void;

/** Where the token manager and the interceptors report what they do. Emitting costs nothing when nobody listens. */
export type Emit = <Name extends OAuth2EventName>(name: Name, fields: OAuth2EventMap[Name]) => void;

/** Called with a listener's exception: a listener that throws never breaks a request. */
export type ListenerFailure = (error: unknown, event: OAuth2EventName) => void;

/**
 * The listeners of one `oauth2()` handle. Listeners run synchronously, in the order added;
 * an exception in one goes to `onListenerFailure` and the others still run.
 */
export class EventHub {
  readonly #client: ClientFields;
  readonly #listeners = new Map<OAuth2EventName, Set<(event: never) => void>>();
  readonly #onListenerFailure: ListenerFailure;

  constructor(client: ClientFields, onListenerFailure: ListenerFailure = () => {}) {
    this.#client = client;
    this.#onListenerFailure = onListenerFailure;
  }

  /** Adds `listener` for `name`; returns the function that removes it. */
  on<Name extends OAuth2EventName>(name: Name, listener: OAuth2Listener<Name>): () => void {
    let listeners = this.#listeners.get(name);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(name, listeners);
    }
    // A copy per registration, so adding one function twice gives two removable entries.
    const entry = (event: never): void => listener(event);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  }

  /** Whether anyone listens to `name` (callers skip building fields when not). */
  has(name: OAuth2EventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  readonly emit: Emit = (name, fields) => {
    const listeners = this.#listeners.get(name);
    if (listeners === undefined || listeners.size === 0) return;
    const event = { event: name, ...this.#client, ...fields } as never;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        try {
          this.#onListenerFailure(error, name);
        } catch {
          // Reporting a listener's failure must not fail either.
        }
      }
    }
  };
}

/** The token endpoint as events show it: origin and path, no query, no credentials. */
export function endpointForEvents(tokenEndpoint: string): string {
  const url = new URL(tokenEndpoint);
  return `${url.origin}${url.pathname}`;
}

/** The ClientFields of a client, from the options as resolved. */
export function clientFields(options: { tokenEndpoint: string; clientId: string | undefined; grant: { type: string }; scope: string }): ClientFields {
  const fields: ClientFields = { tokenEndpoint: endpointForEvents(options.tokenEndpoint), grantType: options.grant.type };
  if (options.clientId !== undefined) fields.clientId = options.clientId;
  if (options.scope !== '') fields.scope = options.scope;
  return fields;
}

/**
 * The FailureFields of an error. The library's own errors carry no credential in their
 * message; of anything else only the name is kept, since its message is unknown ground.
 */
export function describeFailure(error: unknown): FailureFields {
  if (!(error instanceof OAuth2Error)) {
    const name = error instanceof Error ? error.name : typeof error;
    return { errorCode: 'ERR_UNKNOWN', errorMessage: name };
  }
  const fields: FailureFields = { errorCode: error.code, errorMessage: error.message };
  if (error instanceof TokenEndpointError || error instanceof InvalidTokenResponseError) fields.status = error.status;
  if (error instanceof TokenEndpointError && error.error !== undefined) fields.error = error.error;
  return fields;
}
