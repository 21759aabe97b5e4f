import axios, { CanceledError } from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

/** Resolves with the outcome and how long it took. */
async function timed(promise: Promise<unknown>) {
  const started = Date.now();
  const outcome = await promise.then(
    (value) => ({ value, error: undefined as unknown }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...outcome, ms: Date.now() - started };
}

describe('canceling a request that waits for its token', () => {
  const servers = useServers({ delayMs: 400 });

  it('AbortController and CancelToken reject promptly with axios cancel errors; other waiters and the shared fetch go on', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    const source = axios.CancelToken.source();

    const aborted = timed(api.get('/a', { signal: controller.signal }));
    const cancelled = timed(api.get('/b', { cancelToken: source.token }));
    const patient = timed(api.get('/c'));
    setTimeout(() => controller.abort(), 30);
    setTimeout(() => source.cancel('user gave up'), 30);

    const [a, b, c] = await Promise.all([aborted, cancelled, patient]);
    for (const outcome of [a, b]) {
      expect(axios.isCancel(outcome.error)).toBe(true);
      expect(outcome.error).toBeInstanceOf(CanceledError);
      expect(outcome.ms).toBeLessThan(300);
    }
    expect((b.error as Error).message).toBe('user gave up');
    // The same shape as axios' own cancel error: it carries the request's config.
    expect((a.error as CanceledError<unknown>).config?.url).toBe('/a');
    expect(c.value).toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests.map((r) => r.url)).toEqual(['/c']);
  });

  it('when every waiter cancels, the fetch still completes and its token is cached', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    const pending = api.get('/a', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(CanceledError);
    await auth.getToken();
    await api.get('/b');
    expect(servers.auth.requests).toHaveLength(1);
  });

  it('a request whose CancelToken was canceled before it was sent starts no token fetch', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const source = axios.CancelToken.source();
    source.cancel('never mind');
    await expect(api.get('/a', { cancelToken: source.token })).rejects.toMatchObject({ message: 'never mind' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(servers.auth.requests).toHaveLength(0);
  });

  it('an already-aborted request starts no token fetch', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    controller.abort();
    await expect(api.get('/a', { signal: controller.signal })).rejects.toBeInstanceOf(CanceledError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(servers.auth.requests).toHaveLength(0);
  });
});

describe('many requests waiting on one signal', () => {
  const servers = useServers({ delayMs: 300 });

  it('draw no MaxListenersExceededWarning from the plugin and leave no listener behind', async () => {
    const { EventEmitter } = await import('node:events');
    const getEventListeners = (target: EventTarget, name: string) => EventEmitter.getEventListeners(target, name);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const api = servers.newApi();
      const auth = oauth2(api, clientOptions(servers));
      const controller = new AbortController();
      const waiting = Array.from({ length: 30 }, (_, i) => api.get(`/w${i}`, { signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // All 30 are waiting for the one token request now.
      expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
      await auth.getToken();
      const sent = await Promise.allSettled(waiting);
      expect(sent.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning' && w.message.includes('abort'))).toEqual([]);
      // axios' own dispatch may have listened while the requests were in flight; none of ours is left.
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('all of them are canceled at once by one abort', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    const waiting = Array.from({ length: 15 }, (_, i) => api.get(`/c${i}`, { signal: controller.signal }).catch((e: unknown) => e));
    setTimeout(() => controller.abort(), 30);
    const outcomes = await Promise.all(waiting);
    expect(outcomes.every((e) => axios.isCancel(e))).toBe(true);
    expect(servers.api.requests).toHaveLength(0);
  });
});

/** Token requests that take 300 ms: a cancellation is prompt when it comes well before. */
describe('waiting with a signal, among others and over time', () => {
  const servers = useServers({ delayMs: 300 });

  it('a waiter with a signal and a timeout gets the failure of the token request as soon as it comes', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), clientSecret: 'wrong', tokenRetry: false });
    const started = Date.now();
    const error = await api.get('/a', { signal: new AbortController().signal, timeout: 5_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 401 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('one of them leaving early (its own timeout) leaves the others listening: a later abort cancels them', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    const hurried = api.get('/hurried', { signal: controller.signal, timeout: 30 }).catch((e: unknown) => e);
    const others = Array.from({ length: 2 }, (_, i) => api.get(`/o${i}`, { signal: controller.signal }).catch((e: unknown) => e));
    expect(await hurried).toMatchObject({ code: 'ECONNABORTED' });
    controller.abort();
    const outcomes = await timed(Promise.all(others));
    expect((outcomes.value as unknown[]).every((e) => axios.isCancel(e))).toBe(true);
    // At once, not when the token comes (axios would cancel them then, at dispatch).
    expect(outcomes.ms).toBeLessThan(150);
    expect(servers.api.requests).toHaveLength(0);
  });

  it('a signal used again once its first waiters are done still cancels the next ones', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const controller = new AbortController();
    await Promise.all([api.get('/first', { signal: controller.signal }), api.get('/second', { signal: controller.signal })]);
    auth.invalidate();
    const next = timed(api.get('/next', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 30);
    const outcome = await next;
    expect(axios.isCancel(outcome.error)).toBe(true);
    expect(outcome.ms).toBeLessThan(180);
    expect(servers.api.requests.map((r) => r.url)).toEqual(['/first', '/second']);
  });
});
