import type { Emit } from '../telemetry/events';
import { describeFailure } from '../telemetry/events';
import { Cooldown } from './cooldown';
import { Liveness } from './liveness';
import type { FetchToken, IssuedToken } from './response';
import { fetchWithRetries } from './retrying-fetch';
import { NO_RETRY_POLICY, type RetryPolicy } from './retry-policy';

/**
 * How early a token counts as expired: 2.5 % of its lifetime, at most 30 s. A fixed slack
 * would either waste most of a 60 s token or cut an hour-long one too close; this gives
 * 1.5 s on a 60 s token and 30 s on a 3600 s one. Lifetimes are counted from the moment
 * the token request was sent, so transit time is already on the safe side. Background
 * renewal starts one margin before that, or twice the last fetch's time if that is longer.
 */
const EXPIRY_MARGIN_FRACTION = 0.025;
const MAX_EXPIRY_MARGIN_MS = 30_000;
/** After a failed background renewal, wait at least this long before the next attempt, cooldown or not. */
const RENEW_RETRY_DELAY_MS = 1_000;

interface CachedToken {
  readonly value: string;
  /** From here on, a request still gets this token but starts a renewal in the background. */
  readonly renewAt: number;
  /** From here on, the token is not handed out; callers wait for a new one. */
  readonly expiresAt: number;
}

/**
 * How long a token of `lifetimeMs` may be handed out: its lifetime less the expiry margin.
 * A shared store keeps a token exactly this long, so no process takes one that it would
 * already count as expired.
 */
export function usableLifetimeMs(lifetimeMs: number): number {
  return lifetimeMs - Math.min(lifetimeMs * EXPIRY_MARGIN_FRACTION, MAX_EXPIRY_MARGIN_MS);
}

/**
 * Where tokens come from when they are shared beyond this process (option `store`): it
 * decides whether to take a token another process fetched, to wait for one being fetched,
 * or to call `fromEndpoint` itself. Without it, every fetch calls `fromEndpoint`.
 */
export interface TokenSharing {
  obtain(fromEndpoint: () => Promise<IssuedToken>, request: SharingRequest): Promise<SharedIssue>;
  /** A resource refused `token` (a 401): it must not be handed out again, here or elsewhere. */
  refused(token: string): void;
}

/** What a fetch asks of TokenSharing. */
export interface SharingRequest {
  /** Whether it renews a still-valid token (nobody waits for it). */
  renewal: boolean;
  /** The token this fetch replaces (the cached or last one): one equal to it is not new. */
  replacing: string | undefined;
  /** Whether the fetch may keep the process alive (see Liveness). */
  liveness: Liveness;
}

/** A token from TokenSharing, and where it came from. */
export interface SharedIssue {
  issued: IssuedToken;
  source: 'endpoint' | 'store';
}

/** The fetch all callers share, while it runs. */
interface SharedFetch {
  readonly promise: Promise<string>;
  readonly liveness: Liveness;
  /** Latest deadline of the requests waiting (Infinity when one waits without a deadline, or for a renewal). */
  latestDeadline: number;
  /** Dropped by an invalidation while nobody waited for it: it makes no further attempt. */
  abandoned: boolean;
}

export interface TokenManagerOptions {
  /** Lifetime assumed for a token without `expires_in`; undefined keeps it until invalidated. */
  defaultLifetimeMs?: number;
  /** Retries within a fetch and the cooldown after a failed one; default: neither. */
  retryPolicy?: RetryPolicy;
  /** Where token fetches, failures and invalidations are reported. */
  emit?: Emit;
  /** Tokens shared with other processes through a store; default: this process only. */
  sharing?: TokenSharing;
  /** Monotonic clock, in milliseconds. */
  now?: () => number;
  /** Source of backoff jitter, in [0, 1). */
  random?: () => number;
}

/** What a caller of `getToken` may ask. */
export interface TokenRequest {
  /** When the caller stops waiting, on the manager's clock: no retry is started past it. */
  deadline?: number;
  /** Never the cached token: a new one, from the fetch in flight or a new fetch. */
  forceRefresh?: boolean;
}

/**
 * Caches one access token, renews it before it expires, and makes concurrent callers
 * share one in-flight fetch, which retries transient failures; after a fetch fails for
 * good, callers are refused at once for a cooldown. It knows nothing of HTTP requests or
 * interceptors: it only calls `fetchToken`, hands out strings and reports events.
 */
export class TokenManager {
  readonly #fetchToken: FetchToken;
  readonly #defaultLifetimeMs: number | undefined;
  readonly #retryPolicy: RetryPolicy;
  readonly #cooldown: Cooldown;
  readonly #emit: Emit;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sharing: TokenSharing | undefined;
  #cached: CachedToken | undefined;
  #latest: string | undefined;
  #inFlight: SharedFetch | undefined;
  /** Counts invalidations: a fetch started before the latest one hands its token to nobody new. */
  #generation = 0;
  #fetches = 0;
  /** Set while a cooldown refusal is being reported (see #refuse). */
  #refusing = false;
  #renewRetryAt = 0;

  constructor(fetchToken: FetchToken, options: TokenManagerOptions = {}) {
    this.#fetchToken = fetchToken;
    this.#defaultLifetimeMs = options.defaultLifetimeMs;
    this.#retryPolicy = options.retryPolicy ?? NO_RETRY_POLICY;
    this.#cooldown = new Cooldown(this.#retryPolicy);
    this.#emit = options.emit ?? (() => {});
    // Lifetimes are spans of time: a monotonic clock, which a wall-clock step (NTP, a VM
    // resumed, a changed timezone setting) cannot lengthen or shorten.
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#sharing = options.sharing;
  }

  /**
   * The cached token when it can be used now, else undefined. Never waits and never
   * fails; near expiry it starts a background renewal and still returns the current token.
   */
  peek(): string | undefined {
    const cached = this.#cached;
    if (cached === undefined) return undefined;
    const now = this.#now();
    if (now < cached.renewAt) return cached.value;
    if (now >= cached.expiresAt) return undefined;
    this.#renewInBackground(now);
    return cached.value;
  }

  /** The most recently issued token, usable or not (expired, invalidated); undefined before the first. */
  latest(): string | undefined {
    return this.#latest;
  }

  /**
   * A usable token: the cached one, or the result of the one fetch all callers share.
   * During a cooldown after a failed fetch, rejects at once with that fetch's error.
   */
  getToken({ deadline = Infinity, forceRefresh = false }: TokenRequest = {}): Promise<string> {
    // forceRefresh only looks past the cached token: that token keeps serving the other
    // requests until the new one replaces it, and stays if the fetch fails.
    if (!forceRefresh) {
      const token = this.peek();
      if (token !== undefined) return Promise.resolve(token);
    }
    const shared = this.#inFlight;
    if (shared !== undefined) {
      // A background renewal that a caller now waits for must keep the process alive.
      shared.liveness.hold();
      shared.latestDeadline = Math.max(shared.latestDeadline, deadline);
      return shared.promise.catch(rethrowOwnCopy);
    }
    const refusal = this.#cooldown.at(this.#now());
    if (refusal !== undefined) return this.#refuse(refusal.error, refusal.remainingMs);
    return this.#startFetch(new Liveness(true), deadline, false).catch(rethrowOwnCopy);
  }

  /** During a cooldown: the failed fetch's error, at once. A listener that asks for a token here is not told again. */
  #refuse(error: unknown, remainingMs: number): Promise<never> {
    if (!this.#refusing) {
      this.#refusing = true;
      try {
        this.#emit('token:cooldown-rejected', { ...describeFailure(error), remainingMs: Math.ceil(remainingMs) });
      } finally {
        this.#refusing = false;
      }
    }
    return Promise.reject(ownCopy(error));
  }

  /**
   * Drops the cached token, and any fetch already in flight (a renewal started before a
   * 401, say): no caller after this gets a token requested before it. Given the token
   * that was rejected, it acts only if that is still the cached one, so a burst of 401s
   * for an old token discards neither its successor nor the fetch that brings it.
   */
  invalidate(rejectedToken?: string): void {
    if (rejectedToken !== undefined) this.#sharing?.refused(rejectedToken);
    if (rejectedToken !== undefined && this.#cached?.value !== rejectedToken) return;
    const hadSomething = this.#cached !== undefined || this.#inFlight !== undefined;
    // A fetch nobody waits for (a renewal) stops retrying; its waiters, if any, still get its outcome.
    if (this.#inFlight !== undefined && !this.#inFlight.liveness.isHeld) this.#inFlight.abandoned = true;
    this.#cached = undefined;
    this.#inFlight = undefined;
    this.#generation++;
    if (hadSomething) this.#emit('token:invalidated', { reason: rejectedToken === undefined ? 'manual' : 'unauthorized' });
  }

  #startFetch(liveness: Liveness, deadline: number, renewal: boolean): Promise<string> {
    const requestedAt = this.#now();
    const generation = this.#generation;
    const fetchId = ++this.#fetches;
    let attempts = 0;
    const observer = {
      attemptStarts: (attempt: number): void => {
        attempts = attempt;
        this.#emit('token:attempt', { fetchId, attempt, renewal });
      },
      attemptFailed: (attempt: number, error: unknown, durationMs: number, retryInMs: number | undefined): void => {
        const fields = { ...describeFailure(error), fetchId, attempt, durationMs: Math.round(durationMs), renewal };
        this.#emit('token:attempt-failed', retryInMs === undefined ? fields : { ...fields, retryInMs });
      },
    };
    const progress = { liveness, latestDeadline: () => shared.latestDeadline, isAbandoned: () => shared.abandoned };
    const clock = { now: this.#now, random: this.#random };
    const fromEndpoint = (): Promise<IssuedToken> => fetchWithRetries(this.#fetchToken, this.#retryPolicy, progress, observer, clock);
    const replacing = this.#cached?.value ?? this.#latest;
    const sharing = this.#sharing;
    // Everything that reports starts a microtask later, once this fetch is the one in
    // flight: a listener that asks for a token then joins it instead of starting another.
    const obtained: Promise<SharedIssue> = Promise.resolve().then(() => {
      this.#emit('token:fetch', { fetchId, renewal });
      if (sharing === undefined) return fromEndpoint().then((issued) => ({ issued, source: 'endpoint' as const }));
      return sharing.obtain(fromEndpoint, { renewal, replacing, liveness });
    });
    const promise: Promise<string> = obtained
      .then(
        ({ issued, source }) => {
          const fetchMs = this.#now() - requestedAt;
          // Its callers asked before an invalidation and get what they asked for; the cache does not.
          if (generation === this.#generation) {
            this.#store(issued, requestedAt, fetchMs);
            this.#cooldown.succeeded();
          }
          const fields = { fetchId, attempts, durationMs: Math.round(fetchMs), renewal, source };
          this.#emit('token:issued', issued.lifetimeMs === undefined ? fields : { ...fields, expiresInMs: issued.lifetimeMs });
          return issued.accessToken;
        },
        (error: unknown) => {
          const now = this.#now();
          const cooldownMs = generation === this.#generation ? this.#cooldown.failed(error, now) : 0;
          const tokenStillValid = this.#cached !== undefined && now < this.#cached.expiresAt;
          this.#emit('token:failed', {
            ...describeFailure(error),
            fetchId,
            attempts,
            durationMs: Math.round(now - requestedAt),
            renewal,
            cooldownMs,
            tokenStillValid,
          });
          throw error;
        },
      )
      .finally(() => {
        if (this.#inFlight === shared) this.#inFlight = undefined;
      });
    const shared: SharedFetch = { promise, liveness, latestDeadline: deadline, abandoned: false };
    this.#inFlight = shared;
    return promise;
  }

  #renewInBackground(now: number): void {
    if (this.#inFlight !== undefined || now < this.#renewRetryAt || now < this.#cooldown.until) return;
    // Nobody waits for a renewal: it may retry for its whole budget.
    this.#startFetch(new Liveness(false), Infinity, true).catch(() => {
      // The current token is still valid; try again after the cooldown, and not on every request.
      this.#renewRetryAt = this.#now() + RENEW_RETRY_DELAY_MS;
    });
  }

  #store(issued: IssuedToken, requestedAt: number, fetchMs: number): void {
    this.#latest = issued.accessToken;
    const lifetime = issued.lifetimeMs ?? this.#defaultLifetimeMs;
    if (lifetime === undefined) {
      this.#cached = { value: issued.accessToken, renewAt: Infinity, expiresAt: Infinity };
      return;
    }
    const margin = Math.min(lifetime * EXPIRY_MARGIN_FRACTION, MAX_EXPIRY_MARGIN_MS);
    const expiresAt = requestedAt + lifetime - margin;
    // Renew early enough for a fetch as slow as the last one to finish before expiry
    // (twice its time), but never in the first half of the token's life.
    const renewAhead = Math.min(Math.max(margin, 2 * fetchMs), (lifetime - margin) / 2);
    this.#cached = { value: issued.accessToken, renewAt: expiresAt - renewAhead, expiresAt };
  }
}

/**
 * Each caller gets its own copy of a failure shared by many (the waiters of one fetch,
 * every request refused during a cooldown): axios appends the caller's stack to the error
 * it rejects with, and apps add fields to errors, which must not pile up on, or leak into,
 * other callers' errors. Same class, same fields; the stack is the copy's own.
 */
function ownCopy(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Reflect.ownKeys(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (key !== 'stack' && descriptor !== undefined) Object.defineProperty(copy, key, descriptor);
  }
  Error.captureStackTrace(copy, ownCopy);
  return copy;
}

function rethrowOwnCopy(error: unknown): never {
  throw ownCopy(error);
}
