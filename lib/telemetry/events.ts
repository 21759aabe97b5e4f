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

/** Fields of every event about one token fetch. */
export interface FetchFields {
  /** Ties together the events of one fetch (counts from 1 per handle). */
  fetchId: number;
  /** Whether the fetch renews a still-valid token ahead of its expiry (nobody waits for it). */
  renewal: boolean;
}

/** `token:attempt`: one token request of a fetch is about to be sent. */
export interface TokenAttemptFields extends FetchFields {
  /** Which attempt of the fetch, from 1. */
  attempt: number;
}

/** `token:attempt-failed`: one token request failed. */
export interface TokenAttemptFailedFields extends FailureFields, FetchFields {
  /** Which attempt of the fetch, from 1. */
  attempt: number;
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** When the next attempt of this fetch starts; absent when none does (`token:failed` follows). */
  retryInMs?: number;
}

/** `token:issued`: the fetch obtained a token. */
export interface TokenIssuedFields extends FetchFields {
  /** `'endpoint'`: this process fetched it; `'store'`: another process did, and shared it through the store. */
  source: 'endpoint' | 'store';
  /** How many token requests the fetch sent (0 when the token came from the store). */
  attempts: number;
  /** How long the fetch took, waits between attempts included, in milliseconds. */
  durationMs: number;
  /** The token's lifetime from `expires_in`, in milliseconds, when the server gave one. */
  expiresInMs?: number;
}

/** `token:failed`: the fetch failed for good; its callers get the error. */
export interface TokenFailedFields extends FailureFields, FetchFields {
  /** How many token requests the fetch sent (0 when an assertion could not be made). */
  attempts: number;
  /** How long the fetch took, in milliseconds. */
  durationMs: number;
  /** For how long requests that need a token now fail at once with this error (0: no cooldown). */
  cooldownMs: number;
  /** A renewal failed while the cached token still serves requests. */
  tokenStillValid: boolean;
}

/** `token:invalidated`: the cached token was dropped. */
export interface TokenInvalidatedFields {
  /** `'unauthorized'`: a resource answered 401 to it; `'manual'`: `handle.invalidate()`. */
  reason: 'unauthorized' | 'manual';
}

/** `token:cooldown-rejected`: a request was refused at once, the token endpoint cooling down after a failure. */
export interface CooldownRejectedFields extends FailureFields {
  /** Milliseconds until the next fetch may start. */
  remainingMs: number;
}

/** `request:replay`: a request answered 401 is sent again with a fresh token. */
export interface ReplayFields {
  /** Which replay of the request, from 1 up to the `retries` option. */
  replay: number;
  /** The HTTP method, upper case. */
  method: string;
  /** The request's origin and path, never its query. */
  url: string;
}

/** `store:unavailable`: the token store failed or was too slow; this process fetches on its own for now. */
export interface StoreUnavailableFields {
  /** What went wrong, without the store's own message (which may quote a command). */
  errorMessage: string;
  /** When the store is tried again, in milliseconds. */
  retryInMs: number;
}

/** `store:available`: the token store answers again after `store:unavailable`; tokens are shared again. */
export interface StoreAvailableFields {
  /** How long this process went without the store, in milliseconds. */
  unavailableForMs: number;
}

/**
 * Every moment the plugin reports, by name, with the fields it reports it with (besides
 * the ClientFields every event carries). One fetch is shared by every request waiting at
 * the time and may make several attempts (HTTP token requests).
 */
export interface OAuth2EventMap {
  /** A token fetch starts: no usable token, or a renewal ahead of expiry. */
  'token:fetch': FetchFields;
  /** One token request of a fetch is about to be sent. */
  'token:attempt': TokenAttemptFields;
  /** One token request failed; `retryInMs` says whether and when another follows. */
  'token:attempt-failed': TokenAttemptFailedFields;
  /** The fetch obtained a token. */
  'token:issued': TokenIssuedFields;
  /** The fetch failed for good, and the cooldown it starts. */
  'token:failed': TokenFailedFields;
  /** The cached token was dropped, and why. */
  'token:invalidated': TokenInvalidatedFields;
  /** A request was refused at once during a cooldown. */
  'token:cooldown-rejected': CooldownRejectedFields;
  /** A request answered 401 is replayed with a fresh token. */
  'request:replay': ReplayFields;
  /** The token store failed; reported once, until it answers again. */
  'store:unavailable': StoreUnavailableFields;
  /** The token store answers again. */
  'store:available': StoreAvailableFields;
}

/** The name of an event: a key of OAuth2EventMap, such as `'token:failed'`. */
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
  'store:unavailable',
  'store:available',
];

/** What a listener of `name` receives: the event's own fields and the client's. */
export type OAuth2Event<Name extends OAuth2EventName = OAuth2EventName> = ClientFields & OAuth2EventMap[Name] & EventName<Name>;

/** The `event` field of every event. */
export interface EventName<Name extends OAuth2EventName> {
  /** Which event this is. */
  event: Name;
}

/** A function `handle.on(name, listener)` calls with each event of that name. */
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
export function clientFields(options: {
  tokenEndpoint: string;
  clientId: string | undefined;
  grant: { type: string };
  scope: string;
}): ClientFields {
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
