import { setTimeout as realSetTimeout } from 'node:timers';
import {
  ClientAssertionError,
  GrantAssertionError,
  InvalidOptionsError,
  InvalidTokenResponseError,
  TokenEndpointError,
  TokenRequestError,
  TokenTimeoutError,
} from '../lib/errors';
import { Cooldown } from '../lib/token/cooldown';
import { Liveness } from '../lib/token/liveness';
import { TokenManager, usableLifetimeMs, type TokenManagerOptions, type TokenSharing } from '../lib/token/manager';
import type { IssuedToken } from '../lib/token/response';
import {
  backoffMs,
  cooldownMs,
  DEFAULT_RETRY_POLICY,
  errorCodeOf,
  involvedTheServer,
  NO_RETRY_POLICY,
  requestedWaitMs,
  resolveRetryPolicy,
  type RetryPolicy,
} from '../lib/token/retry-policy';
import { fetchWithRetries, type AttemptObserver } from '../lib/token/retrying-fetch';
import { freshModule } from './support/fresh-module';

/**
 * The token machinery's pure parts on their own (issue #12: survivors of mutation testing):
 * the arithmetic of backoff, cooldown and expiry, the retry loop's budget and deadline
 * edges, and the checks of option `tokenRetry`, each on a clock the test drives.
 */
const policy = (settings: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...settings });
const unavailable = (retryAfterMs?: number) =>
  new TokenEndpointError({ status: 503, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('retry policy arithmetic', () => {
  it('backoff: full jitter under min(maxDelayMs, baseDelayMs × 2^retry), rounded down', () => {
    const p = policy({ baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(backoffMs(p, 0, () => 0.999)).toBe(99);
    expect(backoffMs(p, 1, () => 0.5)).toBe(100);
    expect(backoffMs(p, 3, () => 0.5)).toBe(400);
    expect(backoffMs(p, 4, () => 0.5)).toBe(500);
    expect(backoffMs(p, 10, () => 0.999)).toBe(999);
    expect(backoffMs(p, 2, () => 0)).toBe(0);
  });

  it('cooldown: cooldownMs doubled per failure in a row, capped, never below the server’s wait; 0 turns it off', () => {
    const p = policy({ cooldownMs: 100, maxCooldownMs: 1_000 });
    expect([1, 2, 3, 4, 5].map((streak) => cooldownMs(p, streak, undefined))).toEqual([100, 200, 400, 800, 1_000]);
    expect(cooldownMs(p, 1, 700)).toBe(700);
    expect(cooldownMs(p, 4, 700)).toBe(800);
    expect(cooldownMs(p, 1_000, undefined)).toBe(1_000);
    expect(cooldownMs(policy({ cooldownMs: 0, maxCooldownMs: 0 }), 3, 5_000)).toBe(0);
  });

  it('the server’s Retry-After is believed up to maxRetryAfterMs, and only from a TokenEndpointError', () => {
    const p = policy({ maxRetryAfterMs: 2_000 });
    expect(requestedWaitMs(unavailable(1_500), p)).toBe(1_500);
    expect(requestedWaitMs(unavailable(9_000), p)).toBe(2_000);
    expect(requestedWaitMs(unavailable(), p)).toBeUndefined();
    expect(requestedWaitMs(new TokenTimeoutError(1_000), p)).toBeUndefined();
  });

  it('only failures that reached, or tried to reach, the server start a cooldown', () => {
    expect(involvedTheServer(unavailable())).toBe(true);
    expect(involvedTheServer(new TokenRequestError('socket hang up', new Error('socket hang up')))).toBe(true);
    expect(involvedTheServer(new TokenTimeoutError(1_000))).toBe(true);
    expect(involvedTheServer(new InvalidTokenResponseError(200, 'no token'))).toBe(true);
    expect(involvedTheServer(new ClientAssertionError('no key'))).toBe(false);
    expect(involvedTheServer(new GrantAssertionError('no assertion'))).toBe(false);
    expect(involvedTheServer(new Error('foreign'))).toBe(false);
  });

  it('errorCodeOf: the library’s code, ERR_UNKNOWN for anything else', () => {
    expect(errorCodeOf(unavailable())).toBe('ERR_OAUTH2_TOKEN_ENDPOINT');
    expect(errorCodeOf(new Error('x'))).toBe('ERR_UNKNOWN');
    expect(errorCodeOf('x')).toBe('ERR_UNKNOWN');
  });
});

describe('which failures are retried', () => {
  // retry-policy.ts and the errors it knows, loaded inside each test: the lists of
  // permanent codes are module-level constants (see support/fresh-module.ts).
  const fresh = () =>
    freshModule(() => ({
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
      policy: require('../lib/token/retry-policy') as typeof import('../lib/token/retry-policy'),
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh copy's error classes
      errors: require('../lib/errors') as typeof import('../lib/errors'),
    })) as { policy: typeof import('../lib/token/retry-policy'); errors: typeof import('../lib/errors') };
  type Errors = typeof import('../lib/errors');
  const requestError = (errors: Errors, code?: string): unknown =>
    new errors.TokenRequestError('failed', Object.assign(new Error('failed'), code === undefined ? {} : { code }));

  it.each([
    ['a timeout', true, (e: Errors): unknown => new e.TokenTimeoutError(1_000)],
    ['a reset connection', true, (e: Errors): unknown => requestError(e, 'ECONNRESET')],
    ['a refused connection', true, (e: Errors): unknown => requestError(e, 'ECONNREFUSED')],
    ['a network failure without a code', true, (e: Errors): unknown => requestError(e)],
    ['any OpenSSL error', false, (e: Errors): unknown => requestError(e, 'ERR_SSL_WRONG_VERSION_NUMBER')],
    ['a 503', true, (e: Errors): unknown => new e.TokenEndpointError({ status: 503 })],
    ['a 500', true, (e: Errors): unknown => new e.TokenEndpointError({ status: 500, error: 'server_error' })],
    ['a 429', true, (e: Errors): unknown => new e.TokenEndpointError({ status: 429 })],
    ['a 400', false, (e: Errors): unknown => new e.TokenEndpointError({ status: 400, error: 'invalid_request' })],
    ['a 404 without an error code', false, (e: Errors): unknown => new e.TokenEndpointError({ status: 404 })],
    ['a 200 that is not a token', false, (e: Errors): unknown => new e.InvalidTokenResponseError(200, 'access_token is missing')],
    ['an error that is not ours', false, (): unknown => new Error('boom')],
  ])('%s: transient %s', (_, transient, make) => {
    const { policy, errors } = fresh();
    expect(policy.isTransient(make(errors))).toBe(transient);
  });

  it.each([
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_REVOKED',
    'CERT_UNTRUSTED',
    'CERT_SIGNATURE_FAILURE',
    'CERT_REJECTED',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
    'INVALID_CA',
    'HOSTNAME_MISMATCH',
    'EPROTO',
    'ERR_INVALID_URL',
  ])('a network failure %s (TLS, or a URL that cannot work) is final', (code) => {
    const { policy, errors } = fresh();
    expect(policy.isTransient(requestError(errors, code))).toBe(false);
  });

  it.each(['invalid_client', 'invalid_grant', 'unauthorized_client', 'invalid_scope', 'unsupported_grant_type', 'invalid_request'])(
    'a 5xx that says %s is final: the request itself is wrong',
    (error) => {
      const { policy, errors } = fresh();
      expect(policy.isTransient(new errors.TokenEndpointError({ status: 503, error }))).toBe(false);
    },
  );

  it('the defaults, and what false turns off', () => {
    const { policy } = fresh();
    expect(policy.DEFAULT_RETRY_POLICY).toEqual({
      retries: 2,
      baseDelayMs: 200,
      maxDelayMs: 2_000,
      budgetMs: 15_000,
      maxRetryAfterMs: 60_000,
      cooldownMs: 1_000,
      maxCooldownMs: 30_000,
    });
    expect(policy.NO_RETRY_POLICY).toEqual({ ...policy.DEFAULT_RETRY_POLICY, retries: 0, cooldownMs: 0 });
    expect(Object.isFrozen(policy.DEFAULT_RETRY_POLICY) && Object.isFrozen(policy.NO_RETRY_POLICY)).toBe(true);
  });
});

describe('option tokenRetry', () => {
  const optionOf = (value: unknown): InvalidOptionsError => {
    try {
      resolveRetryPolicy(value);
    } catch (error) {
      if (error instanceof InvalidOptionsError) return error;
    }
    throw new Error('expected an InvalidOptionsError');
  };

  it('true and undefined are the defaults; false turns retries and the cooldown off and keeps the rest', () => {
    expect(resolveRetryPolicy(undefined)).toBe(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy(true)).toBe(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy(false)).toEqual({ ...DEFAULT_RETRY_POLICY, retries: 0, cooldownMs: 0 });
    expect(NO_RETRY_POLICY).toEqual({ ...DEFAULT_RETRY_POLICY, retries: 0, cooldownMs: 0 });
    expect(DEFAULT_RETRY_POLICY).toEqual({
      retries: 2,
      baseDelayMs: 200,
      maxDelayMs: 2_000,
      budgetMs: 15_000,
      maxRetryAfterMs: 60_000,
      cooldownMs: 1_000,
      maxCooldownMs: 30_000,
    });
  });

  it('each setting given replaces its default; the result is frozen', () => {
    const resolved = resolveRetryPolicy({ retries: 5, maxCooldownMs: 60_000 });
    expect(resolved).toEqual({ ...DEFAULT_RETRY_POLICY, retries: 5, maxCooldownMs: 60_000 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('a setting may be as long as a Node.js timer takes (2^31 − 1 ms), not longer', () => {
    expect(resolveRetryPolicy({ maxRetryAfterMs: 2_147_483_647 }).maxRetryAfterMs).toBe(2_147_483_647);
    expect(optionOf({ maxRetryAfterMs: 2_147_483_648 }).message).toMatch(
      /tokenRetry\.maxRetryAfterMs.*expected a non-negative integer of at most 2147483647; got 2147483648/,
    );
  });

  it.each([
    ['a negative number', -1, 'got -1'],
    ['a fraction', 0.5, 'got 0.5'],
    ['a boolean', true, 'got true'],
    ['null', null, 'got null'],
    ['a string', '2', 'got a string'],
    ['a function', () => 2, 'got a function'],
  ])('a setting that is %s is refused, and said what it was', (_, value, shown) => {
    const error = optionOf({ retries: value });
    expect(error.option).toBe('tokenRetry.retries');
    expect(error.message).toContain(shown);
  });

  it('an unknown setting names the ones there are', () => {
    expect(optionOf({ retry: 3 }).message).toContain(
      'unknown setting; expected one of retries, baseDelayMs, maxDelayMs, budgetMs, maxRetryAfterMs, cooldownMs, maxCooldownMs',
    );
  });

  it('each refusal says what is expected', () => {
    for (const value of [null, 3, 'fast', []]) {
      expect(optionOf(value)).toMatchObject({
        option: 'tokenRetry',
        message: expect.stringContaining('expected an object of settings, or false to turn retries and the cooldown off') as unknown,
      });
    }
    expect(optionOf({ baseDelayMs: 300, maxDelayMs: 299 })).toMatchObject({
      option: 'tokenRetry.maxDelayMs',
      message: expect.stringContaining('must not be less than tokenRetry.baseDelayMs') as unknown,
    });
    expect(optionOf({ cooldownMs: 500, maxCooldownMs: 499 })).toMatchObject({
      option: 'tokenRetry.maxCooldownMs',
      message: expect.stringContaining('must not be less than tokenRetry.cooldownMs') as unknown,
    });
  });

  it('maxDelayMs may equal baseDelayMs, and maxCooldownMs cooldownMs', () => {
    expect(() => resolveRetryPolicy({ baseDelayMs: 300, maxDelayMs: 300, cooldownMs: 500, maxCooldownMs: 500 })).not.toThrow();
  });
});

describe('the cooldown', () => {
  it('refuses for the cooldown after a failure, says how long is left, and starts over after a success', () => {
    const cooldown = new Cooldown(policy({ cooldownMs: 100, maxCooldownMs: 1_000 }));
    const error = unavailable();
    expect(cooldown.at(0)).toBeUndefined();
    expect(cooldown.failed(error, 1_000)).toBe(100);
    expect(cooldown.until).toBe(1_100);
    expect(cooldown.at(1_040)).toEqual({ error, remainingMs: 60 });
    expect(cooldown.at(1_100)).toBeUndefined();
    expect(cooldown.failed(error, 2_000)).toBe(200);
    expect(cooldown.at(2_199)).toEqual({ error, remainingMs: 1 });
    cooldown.succeeded();
    expect(cooldown.until).toBe(0);
    expect(cooldown.at(2_199)).toBeUndefined();
    expect(cooldown.failed(error, 3_000)).toBe(100);
  });

  it('a failure that never reached the server starts none and leaves a running one as it is', () => {
    const cooldown = new Cooldown(policy({ cooldownMs: 100 }));
    expect(cooldown.failed(new ClientAssertionError('no key'), 0)).toBe(0);
    expect(cooldown.at(0)).toBeUndefined();
    cooldown.failed(unavailable(), 0);
    expect(cooldown.failed(new GrantAssertionError('no assertion'), 50)).toBe(0);
    expect(cooldown.until).toBe(100);
  });
});

describe('liveness', () => {
  it('listeners waiting for a hold run once, when it comes; a held one runs them at once', () => {
    const liveness = new Liveness(false);
    const calls: string[] = [];
    liveness.whenHeld(() => calls.push('first'));
    liveness.whenHeld(() => calls.push('second'));
    expect(liveness.isHeld).toBe(false);
    expect(calls).toEqual([]);
    liveness.hold();
    expect(liveness.isHeld).toBe(true);
    expect(calls).toEqual(['first', 'second']);
    liveness.hold();
    expect(calls).toEqual(['first', 'second']);
    liveness.whenHeld(() => calls.push('late'));
    expect(calls).toEqual(['first', 'second', 'late']);
  });

  it('a timer it governs keeps the process alive only once the request is held', () => {
    const background = new Liveness(false);
    const waiting = setTimeout(() => undefined, 60_000);
    background.governTimer(waiting);
    expect(waiting.hasRef()).toBe(false);
    background.hold();
    expect(waiting.hasRef()).toBe(true);
    const held = new Liveness(true);
    const later = setTimeout(() => undefined, 60_000);
    held.governTimer(later);
    expect(later.hasRef()).toBe(true);
    clearTimeout(waiting);
    clearTimeout(later);
  });
});

describe('the retry loop', () => {
  // Fake timers and clocks: every wait is exact, so the edges of the budget and the deadline can be hit.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function harness(settings: Partial<RetryPolicy>, failures: Error[], { attemptMs = 0, latestDeadline = Infinity } = {}) {
    const startedAt = Date.now();
    const reports: { attempt: number; durationMs: number; retryInMs: number | undefined }[] = [];
    const observer: AttemptObserver = {
      attemptStarts: () => undefined,
      attemptFailed: (attempt, _error, durationMs, retryInMs) => reports.push({ attempt, durationMs, retryInMs }),
    };
    let abandoned = false;
    const fetchOnce = jest.fn(async (): Promise<IssuedToken> => {
      jest.setSystemTime(Date.now() + attemptMs);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return { accessToken: 'token', lifetimeMs: 60_000 };
    });
    const run = async (): Promise<IssuedToken> => {
      const result = fetchWithRetries(
        fetchOnce,
        policy(settings),
        { liveness: new Liveness(true), latestDeadline: () => startedAt + latestDeadline, isAbandoned: () => abandoned },
        observer,
        { now: () => Date.now(), random: () => 0.5 },
      );
      result.catch(() => undefined);
      await jest.runAllTimersAsync();
      return result;
    };
    return { run, fetchOnce, reports, abandon: () => (abandoned = true) };
  }

  it('a Retry-After is waited instead of a backoff, and reported as the wait', async () => {
    const { run, reports } = harness({ retries: 1 }, [unavailable(40)]);
    await expect(run()).resolves.toMatchObject({ accessToken: 'token' });
    expect(reports).toEqual([{ attempt: 1, durationMs: 0, retryInMs: 40 }]);
  });

  it('a wait that ends exactly at budgetMs is started; one that would end past it is not', async () => {
    const within = harness({ retries: 1, budgetMs: 40 }, [unavailable(40)]);
    await expect(within.run()).resolves.toMatchObject({ accessToken: 'token' });
    const past = harness({ retries: 1, budgetMs: 39 }, [unavailable(40)]);
    await expect(past.run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(past.fetchOnce).toHaveBeenCalledTimes(1);
    expect(past.reports).toEqual([{ attempt: 1, durationMs: 0, retryInMs: undefined }]);
  });

  it('the budget counts from the first attempt, the time of the attempts included', async () => {
    const past = harness({ retries: 1, budgetMs: 100 }, [unavailable(40)], { attemptMs: 61 });
    await expect(past.run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(past.reports).toEqual([{ attempt: 1, durationMs: 61, retryInMs: undefined }]);
    const within = harness({ retries: 1, budgetMs: 100 }, [unavailable(40)], { attemptMs: 60 });
    await expect(within.run()).resolves.toMatchObject({ accessToken: 'token' });
  });

  it('a wait that ends exactly at the latest deadline of the waiting requests is started; one past it is not', async () => {
    const within = harness({ retries: 1 }, [unavailable(40)], { latestDeadline: 40 });
    await expect(within.run()).resolves.toMatchObject({ accessToken: 'token' });
    const past = harness({ retries: 1 }, [unavailable(40)], { latestDeadline: 39 });
    await expect(past.run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(past.fetchOnce).toHaveBeenCalledTimes(1);
  });

  it('retries exactly `retries` times with the backoff of each retry, then the last failure is final', async () => {
    const { run, fetchOnce, reports } = harness({ retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 }, [
      unavailable(),
      unavailable(),
      unavailable(),
    ]);
    await expect(run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(fetchOnce).toHaveBeenCalledTimes(3);
    expect(reports.map((report) => report.retryInMs)).toEqual([50, 100, undefined]);
  });

  it('a permanent failure is not retried', async () => {
    const { run, fetchOnce } = harness({ retries: 3 }, [new TokenEndpointError({ status: 400, error: 'invalid_grant' })]);
    await expect(run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(fetchOnce).toHaveBeenCalledTimes(1);
  });

  it('a fetch abandoned before its next attempt makes none, and one abandoned during its pause makes no further one', async () => {
    const before = harness({ retries: 3 }, [unavailable(20)]);
    before.abandon();
    await expect(before.run()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(before.fetchOnce).toHaveBeenCalledTimes(1);
    expect(before.reports).toEqual([{ attempt: 1, durationMs: 0, retryInMs: undefined }]);

    const during = harness({ retries: 3 }, [unavailable(20), unavailable(20)]);
    const running = fetchWithRetries(
      during.fetchOnce,
      policy({ retries: 3 }),
      { liveness: new Liveness(true), latestDeadline: () => Infinity, isAbandoned: () => abandonedNow },
      { attemptStarts: () => undefined, attemptFailed: () => undefined },
      { now: () => Date.now(), random: () => 0.5 },
    );
    let abandonedNow = false;
    running.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(10);
    abandonedNow = true;
    await jest.runAllTimersAsync();
    await expect(running).rejects.toBeInstanceOf(TokenEndpointError);
    expect(during.fetchOnce).toHaveBeenCalledTimes(1);
  });

  it('a pause lasts at least its wait, though a timer fires early', async () => {
    let calls = 0;
    let clock = Date.now();
    const attemptsAt: number[] = [];
    const running = fetchWithRetries(
      async () => {
        attemptsAt.push(clock);
        if (++calls === 1) throw unavailable(60);
        return { accessToken: 'token', lifetimeMs: undefined };
      },
      policy({ retries: 1 }),
      { liveness: new Liveness(true), latestDeadline: () => Infinity, isAbandoned: () => false },
      { attemptStarts: () => undefined, attemptFailed: () => undefined },
      // A clock of its own that the timers run ahead of: the first timer fires "early".
      { now: () => clock, random: Math.random },
    );
    const started = clock;
    await jest.advanceTimersByTimeAsync(0); // the first attempt fails; the pause starts its 60 ms timer
    clock = started + 50;
    await jest.advanceTimersByTimeAsync(60); // the timer fires, but by the clock 10 ms are left
    expect(calls).toBe(1);
    clock = started + 60;
    await jest.advanceTimersByTimeAsync(10);
    await expect(running).resolves.toMatchObject({ accessToken: 'token' });
    expect(attemptsAt).toEqual([started, started + 60]);
  });
});

/** The timers that setTimeout makes from now on, to see whether each keeps the process alive. */
function captureTimers(): { timers: NodeJS.Timeout[]; restore: () => void } {
  const timers: NodeJS.Timeout[] = [];
  const spy = jest.spyOn(global, 'setTimeout').mockImplementation((handler, ms) => {
    const timer = realSetTimeout(handler, ms);
    timers.push(timer);
    return timer;
  });
  return { timers, restore: () => spy.mockRestore() };
}

describe('the retry loop and the process', () => {
  it('a pause for a fetch nobody waits for does not keep the process alive, until someone waits', async () => {
    const { timers, restore } = captureTimers();
    try {
      const liveness = new Liveness(false);
      let calls = 0;
      const running = fetchWithRetries(
        async () => {
          if (++calls === 1) throw unavailable(80);
          return { accessToken: 'token', lifetimeMs: undefined };
        },
        policy({ retries: 1 }),
        { liveness, latestDeadline: () => Infinity, isAbandoned: () => false },
        { attemptStarts: () => undefined, attemptFailed: () => undefined },
        { now: () => performance.now(), random: Math.random },
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers).toHaveLength(1);
      expect(timers[0].hasRef()).toBe(false);
      liveness.hold();
      expect(timers[0].hasRef()).toBe(true);
      await expect(running).resolves.toMatchObject({ accessToken: 'token' });
    } finally {
      restore();
    }
  });

  it('a pause of a fetch someone waits for keeps the process alive', async () => {
    const { timers, restore } = captureTimers();
    try {
      let calls = 0;
      const running = fetchWithRetries(
        async () => {
          if (++calls === 1) throw unavailable(30);
          return { accessToken: 'token', lifetimeMs: undefined };
        },
        policy({ retries: 1 }),
        { liveness: new Liveness(true), latestDeadline: () => Infinity, isAbandoned: () => false },
        { attemptStarts: () => undefined, attemptFailed: () => undefined },
        { now: () => performance.now(), random: Math.random },
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers.map((timer) => timer.hasRef())).toEqual([true]);
      await running;
    } finally {
      restore();
    }
  });
});

describe('token lifetimes in the manager', () => {
  it('the usable lifetime is the lifetime less 2.5 %, at most 30 s less', () => {
    expect(usableLifetimeMs(60_000)).toBe(58_500);
    expect(usableLifetimeMs(3_600_000)).toBe(3_570_000);
    expect(usableLifetimeMs(1_200_000)).toBe(1_170_000);
  });

  it('a 100 s token is handed out until 97.5 s, renewed in the background from 95 s, and no longer from 97.5 s', async () => {
    let now = 0;
    let calls = 0;
    const manager = new TokenManager(
      () => {
        calls++;
        return Promise.resolve({ accessToken: `token-${calls}`, lifetimeMs: 100_000 });
      },
      { now: () => now },
    );
    await manager.getToken();
    now = 94_999;
    expect(manager.peek()).toBe('token-1');
    expect(calls).toBe(1);
    now = 95_000;
    expect(manager.peek()).toBe('token-1');
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toBe(2);
  });

  it('renewal starts twice the last fetch’s time ahead, but not in the first half of the usable life; expiry ends it', async () => {
    let now = 0;
    let calls = 0;
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const manager = new TokenManager(
      () => {
        calls++;
        // The renewal hangs: the first token stays the cached one.
        if (calls > 1) return new Promise<IssuedToken>(() => undefined);
        now += 4_000;
        return Promise.resolve({ accessToken: 'token-1', lifetimeMs: 10_000 });
      },
      { now: () => now },
    );
    await manager.getToken();
    // Requested at 0 and fetched in 4 s: usable until 9_750; 2 × 4 s ahead is more than half (4_875).
    now = 4_874;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls).toBe(1);
    now = 4_875;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls).toBe(2);
    now = 9_749;
    expect(manager.peek()).toBe('token-1');
    now = 9_750;
    expect(manager.peek()).toBeUndefined();
  });

  it('a fetch as slow as a quarter of the margin renews at the margin', async () => {
    let now = 0;
    let calls = 0;
    const manager = new TokenManager(
      () => {
        calls++;
        if (calls > 1) return new Promise<IssuedToken>(() => undefined);
        now += 1_000;
        return Promise.resolve({ accessToken: 'token-1', lifetimeMs: 200_000 });
      },
      { now: () => now },
    );
    await manager.getToken();
    // Usable until 195_000 (margin 5 s); 2 × 1 s is less than the margin: renewal from 190_000.
    now = 189_999;
    manager.peek();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    now = 190_000;
    manager.peek();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2);
  });

  it('a token without a lifetime uses defaultLifetimeMs, and without that is kept until invalidated', async () => {
    let now = 0;
    const withDefault = new TokenManager(() => Promise.resolve({ accessToken: 'a', lifetimeMs: undefined }), {
      now: () => now,
      defaultLifetimeMs: 10_000,
    });
    await withDefault.getToken();
    now = 9_749;
    expect(withDefault.peek()).toBe('a');
    now = 9_750;
    expect(withDefault.peek()).toBeUndefined();
    const forever = new TokenManager(() => Promise.resolve({ accessToken: 'b', lifetimeMs: undefined }), { now: () => now });
    await forever.getToken();
    now = Number.MAX_SAFE_INTEGER;
    expect(forever.peek()).toBe('b');
    forever.invalidate();
    expect(forever.peek()).toBeUndefined();
    expect(forever.latest()).toBe('b');
  });

  it('token:cooldown-rejected says how long is left, rounded up', async () => {
    let now = 1_000;
    const events: Record<string, unknown>[] = [];
    const manager = new TokenManager(() => Promise.reject(unavailable()), {
      now: () => now,
      retryPolicy: policy({ retries: 0, cooldownMs: 1_000 }),
      emit: (name, fields) => {
        if (name === 'token:cooldown-rejected') events.push(fields as unknown as Record<string, unknown>);
      },
    });
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    now = 1_300.4;
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(events).toEqual([expect.objectContaining({ errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 503, remainingMs: 700 })]);
    // Every refusal is reported, not only the first.
    now = 1_900;
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ remainingMs: 100 });
  });

  it('token:failed says whether the cached token still serves, and the cooldown it started', async () => {
    let now = 0;
    let calls = 0;
    const failed: Record<string, unknown>[] = [];
    const manager = new TokenManager(
      () => (++calls === 1 ? Promise.resolve({ accessToken: 'a', lifetimeMs: 100_000 }) : Promise.reject(unavailable())),
      {
        now: () => now,
        retryPolicy: policy({ retries: 0, cooldownMs: 500 }),
        emit: (name, fields) => {
          if (name === 'token:failed') failed.push(fields as unknown as Record<string, unknown>);
        },
      },
    );
    await manager.getToken();
    now = 96_000;
    await expect(manager.getToken({ forceRefresh: true })).rejects.toBeInstanceOf(TokenEndpointError);
    now = 98_000;
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(failed).toEqual([
      expect.objectContaining({ attempts: 1, renewal: false, cooldownMs: 500, tokenStillValid: true }),
      expect.objectContaining({ attempts: 1, renewal: false, cooldownMs: 1_000, tokenStillValid: false }),
    ]);
  });
});

describe('the manager’s retries and the requests that wait', () => {
  const failingOnce = () => {
    let calls = 0;
    const fetchToken = jest.fn(() => {
      calls++;
      return calls === 1 ? Promise.reject(unavailable()) : Promise.resolve({ accessToken: `token-${calls}`, lifetimeMs: 60_000 });
    });
    return fetchToken;
  };

  it('without a source of jitter of its own, the backoff uses Math.random', async () => {
    const fetchToken = failingOnce();
    const manager = new TokenManager(fetchToken, { retryPolicy: policy({ retries: 1, baseDelayMs: 1, maxDelayMs: 1 }) });
    await expect(manager.getToken()).resolves.toBe('token-2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('a request that joins the fetch in flight with a later deadline extends it: the retry is made for it', async () => {
    jest.useFakeTimers();
    try {
      const fetchToken = failingOnce();
      const start = Date.now();
      const manager = new TokenManager(fetchToken, {
        retryPolicy: policy({ retries: 1, baseDelayMs: 100, maxDelayMs: 100 }),
        now: () => Date.now() - start,
        random: () => 0.999,
      });
      // The retry would wait 99 ms: past the first request's deadline, within the second's.
      const soon = manager.getToken({ deadline: 50 });
      const later = manager.getToken({ deadline: 1_000 });
      // An earlier deadline joining afterwards never shortens it.
      const earlier = manager.getToken({ deadline: 10 });
      await jest.advanceTimersByTimeAsync(100);
      await expect(Promise.all([soon, later, earlier])).resolves.toEqual(['token-2', 'token-2', 'token-2']);
      expect(fetchToken).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the manager and the tokens shared with other processes', () => {
  it('a token a resource refused is reported to the sharing; an invalidation that names no token reports nothing', async () => {
    const refused: string[] = [];
    const sharing: TokenSharing = {
      obtain: async (fromEndpoint) => ({ issued: await fromEndpoint(), source: 'endpoint' }),
      refused: (token) => refused.push(token),
    };
    let calls = 0;
    const manager = new TokenManager(() => Promise.resolve({ accessToken: `token-${String(++calls)}`, lifetimeMs: 60_000 }), { sharing });
    expect(await manager.getToken()).toBe('token-1');
    manager.invalidate();
    expect(refused).toEqual([]);
    expect(await manager.getToken()).toBe('token-2');
    manager.invalidate('token-2');
    // Even an old token: other processes may still hold it.
    manager.invalidate('token-1');
    expect(refused).toEqual(['token-2', 'token-1']);
  });
});

describe('invalidation and what it reports', () => {
  it('token:invalidated is reported when a token was cached or a fetch was in flight, not when there was nothing', async () => {
    const reasons: unknown[] = [];
    let release: (token: IssuedToken) => void = () => undefined;
    const manager = new TokenManager(() => new Promise<IssuedToken>((resolve) => (release = resolve)), {
      emit: (name, fields) => {
        if (name === 'token:invalidated') reasons.push((fields as { reason: unknown }).reason);
      },
    });
    manager.invalidate();
    expect(reasons).toEqual([]);
    const waiting = manager.getToken();
    await Promise.resolve();
    manager.invalidate();
    expect(reasons).toEqual(['manual']);
    release({ accessToken: 'token-1', lifetimeMs: 60_000 });
    await waiting;
  });
});

describe('a failing background renewal, on a clock the test drives', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  /** A manager whose 100 s tokens renew from 95 s and expire at 97.5 s; fetches after the first fail. */
  function renewingManager(retryPolicy: RetryPolicy = NO_RETRY_POLICY, emit?: TokenManagerOptions['emit']) {
    const clock = { now: 0 };
    let calls = 0;
    const manager = new TokenManager(
      () => (++calls === 1 ? Promise.resolve({ accessToken: 'token-1', lifetimeMs: 100_000 }) : Promise.reject(unavailable())),
      { now: () => clock.now, retryPolicy, ...(emit === undefined ? {} : { emit }) },
    );
    return { manager, clock, calls: () => calls };
  }

  it('without a cooldown, the renewal is tried again 1 s after it failed, not on every request before', async () => {
    const { manager, clock, calls } = renewingManager();
    await manager.getToken();
    clock.now = 95_000;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls()).toBe(2);
    clock.now = 95_999;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls()).toBe(2);
    clock.now = 96_000;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls()).toBe(3);
  });

  it('with a cooldown longer than that, the renewal waits for the cooldown to end', async () => {
    const { manager, clock, calls } = renewingManager(policy({ retries: 0, cooldownMs: 2_000, maxCooldownMs: 2_000 }));
    await manager.getToken();
    clock.now = 95_000;
    manager.peek();
    await tick();
    expect(calls()).toBe(2);
    clock.now = 96_999;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls()).toBe(2);
    clock.now = 97_000;
    expect(manager.peek()).toBe('token-1');
    await tick();
    expect(calls()).toBe(3);
  });

  it('token:failed says the cached token still serves until the instant it expires, not at it', async () => {
    const stillValid: unknown[] = [];
    const { manager, clock } = renewingManager(NO_RETRY_POLICY, (name, fields) => {
      if (name === 'token:failed') stillValid.push((fields as { tokenStillValid: unknown }).tokenStillValid);
    });
    await manager.getToken();
    clock.now = 97_499;
    await expect(manager.getToken({ forceRefresh: true })).rejects.toBeInstanceOf(TokenEndpointError);
    clock.now = 97_500;
    await expect(manager.getToken({ forceRefresh: true })).rejects.toBeInstanceOf(TokenEndpointError);
    expect(stillValid).toEqual([true, false]);
  });
});

describe('a fetch that an invalidation overtook', () => {
  it('its callers get its token, but the cache does not keep it: the next request fetches anew', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const manager = new TokenManager(() => {
      const token = `token-${String(++calls)}`;
      return new Promise<IssuedToken>((resolve) => (release = () => resolve({ accessToken: token, lifetimeMs: 60_000 })));
    });
    const waiting = manager.getToken();
    await Promise.resolve();
    manager.invalidate();
    release();
    await expect(waiting).resolves.toBe('token-1');
    expect(manager.peek()).toBeUndefined();
    const next = manager.getToken();
    await Promise.resolve();
    release();
    await expect(next).resolves.toBe('token-2');
    expect(manager.peek()).toBe('token-2');
  });

  it('its end does not clear the fetch that replaced it: a caller after it joins the newer one', async () => {
    let calls = 0;
    const releases: (() => void)[] = [];
    const manager = new TokenManager(() => {
      const token = `token-${String(++calls)}`;
      return new Promise<IssuedToken>((resolve) => releases.push(() => resolve({ accessToken: token, lifetimeMs: 60_000 })));
    });
    const first = manager.getToken();
    await Promise.resolve();
    manager.invalidate();
    const second = manager.getToken();
    await Promise.resolve();
    expect(calls).toBe(2);
    releases[0]();
    await expect(first).resolves.toBe('token-1');
    // The overtaken fetch has ended; the newer one is still in flight, and a new caller waits for it.
    const third = manager.getToken();
    await Promise.resolve();
    expect(calls).toBe(2);
    releases[1]();
    await expect(Promise.all([second, third])).resolves.toEqual(['token-2', 'token-2']);
  });

  it('the token it replaces, for the sharing, is the last one issued even once it was dropped', async () => {
    const replacing: unknown[] = [];
    const sharing: TokenSharing = {
      obtain: async (fromEndpoint, request) => {
        replacing.push(request.replacing);
        return { issued: await fromEndpoint(), source: 'endpoint' };
      },
      refused: () => undefined,
    };
    let calls = 0;
    const manager = new TokenManager(() => Promise.resolve({ accessToken: `token-${String(++calls)}`, lifetimeMs: 60_000 }), { sharing });
    await manager.getToken();
    await manager.getToken({ forceRefresh: true });
    manager.invalidate();
    await manager.getToken();
    expect(replacing).toEqual([undefined, 'token-1', 'token-2']);
  });

  it('token:issued carries expiresInMs only when the server gave a lifetime', async () => {
    const issued: Record<string, unknown>[] = [];
    let calls = 0;
    const manager = new TokenManager(
      () => Promise.resolve({ accessToken: `token-${String(++calls)}`, lifetimeMs: calls === 1 ? undefined : 30_000 }),
      {
        emit: (name, fields) => {
          if (name === 'token:issued') issued.push(fields as unknown as Record<string, unknown>);
        },
      },
    );
    await manager.getToken();
    await manager.getToken({ forceRefresh: true });
    expect('expiresInMs' in issued[0]).toBe(false);
    expect(issued[1]).toMatchObject({ expiresInMs: 30_000 });
  });
});

describe('a failed fetch as token:failed reports it', () => {
  it('its duration runs from the request to the failure; a fetch overtaken by an invalidation starts no cooldown', async () => {
    const clock = { now: 1_000 };
    const failed: Record<string, unknown>[] = [];
    let fail: (error: Error) => void = () => undefined;
    let calls = 0;
    const manager = new TokenManager(
      () => {
        calls++;
        return new Promise<IssuedToken>((_, reject) => (fail = reject));
      },
      {
        now: () => clock.now,
        retryPolicy: policy({ retries: 0, cooldownMs: 5_000, maxCooldownMs: 5_000 }),
        emit: (name, fields) => {
          if (name === 'token:failed') failed.push(fields as unknown as Record<string, unknown>);
        },
      },
    );
    const overtaken = manager.getToken();
    await Promise.resolve();
    manager.invalidate();
    clock.now = 1_250;
    fail(unavailable());
    await expect(overtaken).rejects.toBeInstanceOf(TokenEndpointError);
    expect(failed).toEqual([expect.objectContaining({ durationMs: 250, cooldownMs: 0 })]);
    // No cooldown: the next request fetches at once.
    const next = manager.getToken();
    await Promise.resolve();
    expect(calls).toBe(2);
    fail(unavailable());
    await expect(next).rejects.toBeInstanceOf(TokenEndpointError);
    expect(failed[1]).toMatchObject({ cooldownMs: 5_000 });
  });
});
