import axios, { CanceledError } from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('canceling a request that waits for its token', () => {
  const servers = useServers({ delayMs: 400 });

  /** Resolves with the outcome and how long it took. */
  async function timed(promise: Promise<unknown>) {
    const started = Date.now();
    const outcome = await promise.then(
      (value) => ({ value, error: undefined as unknown }),
      (error: unknown) => ({ value: undefined, error }),
    );
    return { ...outcome, ms: Date.now() - started };
  }

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
