import { Liveness } from './liveness';
import type { FetchToken, IssuedToken } from './response';

/**
 * How early a token counts as expired: 2.5 % of its lifetime, at most 30 s. A fixed slack
 * would either waste most of a 60 s token or cut an hour-long one too close; this gives
 * 1.5 s on a 60 s token and 30 s on a 3600 s one. Lifetimes are counted from the moment
 * the token request was sent, so transit time is already on the safe side. Background
 * renewal starts one margin before that, or twice the last fetch's time if that is longer.
 */
const EXPIRY_MARGIN_FRACTION = 0.025;
const MAX_EXPIRY_MARGIN_MS = 30_000;
/** After a failed background renewal, wait this long before the next attempt. */
const RENEW_RETRY_DELAY_MS = 1_000;

interface CachedToken {
  readonly value: string;
  /** From here on, a request still gets this token but starts a renewal in the background. */
  readonly renewAt: number;
  /** From here on, the token is not handed out; callers wait for a new one. */
  readonly expiresAt: number;
}

export interface TokenManagerOptions {
  /** Lifetime assumed for a token without `expires_in`; undefined keeps it until invalidated. */
  defaultLifetimeMs?: number;
  /** Monotonic clock, in milliseconds. */
  now?: () => number;
}

/**
 * Caches one access token, renews it before it expires, and makes concurrent callers
 * share one in-flight fetch. It knows nothing of HTTP requests or interceptors: it only
 * calls `fetchToken` and hands out strings.
 */
export class TokenManager {
  readonly #fetchToken: FetchToken;
  readonly #defaultLifetimeMs: number | undefined;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #latest: string | undefined;
  #inFlight: Promise<string> | undefined;
  #inFlightLiveness: Liveness | undefined;
  /** Counts invalidations: a fetch started before the latest one hands its token to nobody new. */
  #generation = 0;
  #renewRetryAt = 0;

  constructor(fetchToken: FetchToken, options: TokenManagerOptions = {}) {
    this.#fetchToken = fetchToken;
    this.#defaultLifetimeMs = options.defaultLifetimeMs;
    // Lifetimes are spans of time: a monotonic clock, which a wall-clock step (NTP, a VM
    // resumed, a changed timezone setting) cannot lengthen or shorten.
    this.#now = options.now ?? (() => performance.now());
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

  /** A usable token: the cached one, or the result of the one fetch all callers share. */
  getToken(): Promise<string> {
    const token = this.peek();
    if (token !== undefined) return Promise.resolve(token);
    if (this.#inFlight === undefined) return this.#startFetch(new Liveness(true));
    // A background renewal that a caller now waits for must keep the process alive.
    this.#inFlightLiveness?.hold();
    return this.#inFlight;
  }

  /**
   * Drops the cached token, and any fetch already in flight (a renewal started before a
   * 401, say): no caller after this gets a token requested before it. Given the token
   * that was rejected, it acts only if that is still the cached one, so a burst of 401s
   * for an old token discards neither its successor nor the fetch that brings it.
   */
  invalidate(rejectedToken?: string): void {
    if (rejectedToken !== undefined && this.#cached?.value !== rejectedToken) return;
    this.#cached = undefined;
    this.#inFlight = undefined;
    this.#generation++;
  }

  #startFetch(liveness: Liveness): Promise<string> {
    const requestedAt = this.#now();
    const generation = this.#generation;
    const fetch: Promise<string> = this.#fetchToken(liveness)
      .then((issued) => {
        // Its callers asked before an invalidation and get what they asked for; the cache does not.
        if (generation === this.#generation) this.#store(issued, requestedAt, this.#now() - requestedAt);
        return issued.accessToken;
      })
      .finally(() => {
        if (this.#inFlight === fetch) this.#inFlight = undefined;
      });
    this.#inFlight = fetch;
    this.#inFlightLiveness = liveness;
    return fetch;
  }

  #renewInBackground(now: number): void {
    if (this.#inFlight !== undefined || now < this.#renewRetryAt) return;
    this.#startFetch(new Liveness(false)).catch(() => {
      // The current token is still valid; try again shortly rather than on every request.
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
