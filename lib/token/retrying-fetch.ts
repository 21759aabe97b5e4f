import type { Liveness } from './liveness';
import type { FetchToken, IssuedToken } from './response';
import { backoffMs, isTransient, requestedWaitMs, type RetryPolicy } from './retry-policy';

/** One fetch as the retry loop sees it: whether it may keep the process alive, and how long its callers wait. */
export interface FetchInProgress {
  readonly liveness: Liveness;
  /** The latest deadline among the requests waiting for this fetch (Infinity: one waits without a deadline). */
  latestDeadline(): number;
  /** Whether the fetch was dropped while nobody waited for it: no further attempt is worth making. */
  isAbandoned(): boolean;
}

/** What the retry loop reports, attempt by attempt. */
export interface AttemptObserver {
  attemptStarts(attempt: number): void;
  /** `retryInMs` is undefined when no attempt follows. */
  attemptFailed(attempt: number, error: unknown, durationMs: number, retryInMs: number | undefined): void;
}

export interface RetryClock {
  now: () => number;
  random: () => number;
}

/**
 * Sends token requests until one succeeds or a retry is pointless: the failure is
 * permanent, the retries are used up, or the next attempt would start past the fetch's
 * budget or past the deadline of every request waiting for it. Each attempt is a fresh
 * request (a fresh client assertion, a fresh `jti`). Waits are exponential backoff with
 * full jitter, or the server's `Retry-After` when it gave one (RFC 9110 §10.2.3).
 */
export async function fetchWithRetries(
  fetchOnce: FetchToken,
  policy: RetryPolicy,
  fetch: FetchInProgress,
  observer: AttemptObserver,
  clock: RetryClock,
): Promise<IssuedToken> {
  const startedAt = clock.now();
  for (let attempt = 1; ; attempt++) {
    observer.attemptStarts(attempt);
    const attemptStartedAt = clock.now();
    try {
      return await fetchOnce(fetch.liveness);
    } catch (error) {
      const now = clock.now();
      const wait = nextWait(error, attempt, policy, clock);
      const fits =
        wait !== undefined && !fetch.isAbandoned() && now + wait - startedAt <= policy.budgetMs && now + wait <= fetch.latestDeadline();
      observer.attemptFailed(attempt, error, now - attemptStartedAt, fits ? wait : undefined);
      if (!fits) throw error;
      await pause(wait, fetch.liveness, clock.now);
      // Dropped while it waited: nobody can get what a further attempt would bring.
      if (fetch.isAbandoned()) throw error;
    }
  }
}

/** How long to wait before the next attempt, or undefined when there is none to make. */
function nextWait(error: unknown, attempt: number, policy: RetryPolicy, clock: RetryClock): number | undefined {
  if (attempt > policy.retries || !isTransient(error)) return undefined;
  // A server that said how long to wait is obeyed; it may be longer than any backoff.
  return requestedWaitMs(error, policy) ?? backoffMs(policy, attempt - 1, clock.random);
}

/**
 * Waits at least `ms` on `now`'s clock (a timer may fire a millisecond early, and a
 * server's `Retry-After` is a minimum). Like the request it stands between, it keeps the
 * process alive only while someone waits.
 */
function pause(ms: number, liveness: Liveness, now: () => number): Promise<void> {
  const until = now() + ms;
  return new Promise((resolve) => {
    const wake = (): void => {
      const left = until - now();
      if (left <= 0) {
        resolve();
        return;
      }
      const timer = setTimeout(wake, Math.ceil(left));
      liveness.governTimer(timer);
    };
    wake();
  });
}
