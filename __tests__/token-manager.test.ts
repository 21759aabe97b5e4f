import { InvalidOptionsError, TokenEndpointError, TokenRequestError } from '../lib/errors';
import { TokenManager } from '../lib/token/manager';
import type { IssuedToken } from '../lib/token/response';
import { retryAfterMs } from '../lib/token/response';
import { isTransient, resolveRetryPolicy } from '../lib/token/retry-policy';

/**
 * The token manager on its own, with a scripted fetch: the edges of forceRefresh,
 * re-entrant event listeners, renewals dropped by an invalidation, what counts as
 * transient, and which Retry-After values are believed.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const issued = (n: number, lifetimeMs?: number): IssuedToken => ({ accessToken: `token-${n}`, lifetimeMs });

describe('TokenManager', () => {
  it('a forceRefresh whose fetch fails leaves the still-valid token to everyone else', async () => {
    let calls = 0;
    const manager = new TokenManager(
      () => (++calls === 1 ? Promise.resolve(issued(1, 3_600_000)) : Promise.reject(new TokenEndpointError({ status: 503 }))),
      { retryPolicy: resolveRetryPolicy({ retries: 0 }) },
    );
    expect(await manager.getToken()).toBe('token-1');
    await expect(manager.getToken({ forceRefresh: true })).rejects.toBeInstanceOf(TokenEndpointError);
    expect(manager.peek()).toBe('token-1');
    await expect(manager.getToken()).resolves.toBe('token-1');
  });

  it('a token:fetch listener that asks for a token joins the fetch instead of starting others', async () => {
    let calls = 0;
    let depth = 0;
    const manager: TokenManager = new TokenManager(
      () => {
        calls++;
        return Promise.resolve(issued(calls, 3_600_000));
      },
      {
        emit: (name) => {
          if (name === 'token:fetch' && depth++ < 50) void manager.getToken().catch(() => undefined);
        },
      },
    );
    await manager.getToken();
    expect(calls).toBe(1);
  });

  it('a token:invalidated listener that warms the cache makes one fetch for everyone', async () => {
    let calls = 0;
    const manager: TokenManager = new TokenManager(
      async () => {
        calls++;
        await sleep(10);
        return issued(calls, 3_600_000);
      },
      {
        emit: (name) => {
          if (name === 'token:invalidated') void manager.getToken().catch(() => undefined);
        },
      },
    );
    await manager.getToken();
    manager.invalidate();
    await Promise.all([manager.getToken(), manager.getToken()]);
    expect(calls).toBe(2);
  });

  it('a cooldown-rejected listener that asks for a token again is not told again (no recursion)', async () => {
    let refusals = 0;
    const manager: TokenManager = new TokenManager(() => Promise.reject(new TokenEndpointError({ status: 401, error: 'invalid_client' })), {
      retryPolicy: resolveRetryPolicy({}),
      emit: (name) => {
        if (name !== 'token:cooldown-rejected') return;
        refusals++;
        void manager.getToken().catch(() => undefined);
      },
    });
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    await expect(manager.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(refusals).toBe(1);
  });

  it('a background renewal dropped by an invalidation makes no further attempt', async () => {
    let calls = 0;
    let offset = 0;
    const manager = new TokenManager(
      () => {
        calls++;
        if (calls === 1) return Promise.resolve(issued(1, 100_000));
        return Promise.reject(new TokenEndpointError({ status: 503, retryAfterMs: 100 }));
      },
      { retryPolicy: resolveRetryPolicy({ retries: 2, cooldownMs: 0 }), now: () => performance.now() + offset },
    );
    await manager.getToken();
    offset += 95_500; // into the renewal window of a 100 s token (95 s to 97.5 s)
    expect(manager.peek()).toBe('token-1');
    await sleep(20); // the renewal's first attempt failed; it waits 100 ms (Retry-After)
    expect(calls).toBe(2);
    manager.invalidate();
    await sleep(400);
    expect(calls).toBe(2);
  });

  it('a renewal with a waiter goes on after an invalidation: the waiter gets its outcome', async () => {
    let calls = 0;
    let offset = 0;
    const manager = new TokenManager(
      () => {
        calls++;
        if (calls === 1) return Promise.resolve(issued(1, 100_000));
        if (calls === 2) return Promise.reject(new TokenEndpointError({ status: 503, retryAfterMs: 50 }));
        return Promise.resolve(issued(calls, 100_000));
      },
      { retryPolicy: resolveRetryPolicy({ retries: 2, cooldownMs: 0 }), now: () => performance.now() + offset },
    );
    await manager.getToken();
    offset += 98_000; // past expiry: the next caller waits for the fetch it starts
    const waiting = manager.getToken();
    await sleep(10);
    manager.invalidate();
    await expect(waiting).resolves.toBe('token-3');
  });
});

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    [' 7 ', 7_000],
    ['Wed, 01 Jan 2025 00:00:05 GMT', 5_000],
    ['Wednesday, 01-Jan-25 00:00:05 GMT', 5_000],
    ['Wed Jan  1 00:00:05 2025', 5_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ])('%j is %d ms', (value, expected) => {
    expect(retryAfterMs(value, now)).toBe(expected);
  });

  it.each([['1.5'], ['-5'], ['+5'], ['soon 2030'], ['3000.5'], ['1e3'], ['120, 60'], [''], ['2025-01-01T00:00:05Z']])(
    '%j is neither delay-seconds nor an HTTP-date: ignored',
    (value) => {
      expect(retryAfterMs(value, now)).toBeUndefined();
    },
  );
});

describe('what a retry could change', () => {
  const networkError = (code: string) => new TokenRequestError('failed', Object.assign(new Error('failed'), { code }));

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])('a network failure %s is transient', (code) => {
    expect(isTransient(networkError(code))).toBe(true);
  });

  it.each([
    'EPROTO',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'CERT_REVOKED',
    'CERT_UNTRUSTED',
    'UNABLE_TO_GET_ISSUER_CERT',
    'CERT_SIGNATURE_FAILURE',
    'INVALID_CA',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('a TLS failure %s is not', (code) => {
    expect(isTransient(networkError(code))).toBe(false);
  });

  it.each([
    [500, undefined, true],
    [502, undefined, true],
    [503, 'temporarily_unavailable', true],
    [429, undefined, true],
    [500, 'invalid_client', false],
    [400, 'invalid_request', false],
    [401, 'invalid_client', false],
    [403, undefined, false],
    [404, undefined, false],
    [408, undefined, false],
  ])('HTTP %d with error %s: transient %s', (status, error, expected) => {
    expect(isTransient(new TokenEndpointError({ status, ...(error === undefined ? {} : { error }) }))).toBe(expected);
  });

  it('settings past what a Node.js timer can wait are refused, not left to spin', () => {
    expect(() => resolveRetryPolicy({ maxDelayMs: 3_000_000_000 })).toThrow(InvalidOptionsError);
    expect(() => resolveRetryPolicy({ maxCooldownMs: 2 ** 31 })).toThrow(/tokenRetry\.maxCooldownMs.*at most 2147483647/);
    expect(resolveRetryPolicy({ maxCooldownMs: 2 ** 31 - 1 }).maxCooldownMs).toBe(2 ** 31 - 1);
  });
});
