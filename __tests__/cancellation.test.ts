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
