import { cooldownMs, involvedTheServer, requestedWaitMs, type RetryPolicy } from './retry-policy';

/** Why the token endpoint is being left alone, and until when (on the token manager's clock). */
export interface CoolingDown {
  readonly error: unknown;
  readonly remainingMs: number;
}

/**
 * Remembers the last failed fetch so that, for a while after it, requests fail at once
 * with its error instead of each sending a token request: during an outage, the load on
 * the authorization server is a few requests per cooldown, not one per wave of traffic.
 * The wait doubles while fetches keep failing and starts over after a success.
 */
export class Cooldown {
  readonly #policy: RetryPolicy;
  #streak = 0;
  #until = 0;
  #error: unknown;

  constructor(policy: RetryPolicy) {
    this.#policy = policy;
  }

  /** Records a fetch that failed for good at `now`; returns how long requests are refused. */
  failed(error: unknown, now: number): number {
    if (!involvedTheServer(error)) return 0;
    this.#streak++;
    const wait = cooldownMs(this.#policy, this.#streak, requestedWaitMs(error, this.#policy));
    this.#until = now + wait;
    this.#error = error;
    return wait;
  }

  /** A fetch succeeded: the next failure starts from the shortest cooldown again. */
  succeeded(): void {
    this.#streak = 0;
    this.#until = 0;
    this.#error = undefined;
  }

  /** The refusal in force at `now`, if any. */
  at(now: number): CoolingDown | undefined {
    if (now >= this.#until) return undefined;
    return { error: this.#error, remainingMs: this.#until - now };
  }

  /** When a fetch may start again. */
  get until(): number {
    return this.#until;
  }
}
