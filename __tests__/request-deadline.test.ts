import type { AxiosStatic } from 'axios';
import { oauth2 } from '../lib';
import { axiosCopies } from './support/axios-copies';
import { clientOptions, useServers } from './support/servers';

/** A request's own timeout bounds the whole call, its wait for a token included. */
describe.each(axiosCopies)('on %s', (_name, axios: AxiosStatic) => {
  const servers = useServers({ delayMs: 800 });

  it('a timeout while waiting for the token rejects as axios’ own timeout error, promptly; the shared fetch goes on', async () => {
    const api = axios.create({ baseURL: servers.api.url });
    oauth2(api, clientOptions(servers));
    const started = Date.now();
    const [timedOut, patient] = await Promise.all([
      api.get('/hurried', { timeout: 150 }).catch((e: unknown) => e as Error & { code?: string }),
      api.get('/patient'),
    ]);
    const waitedMs = Date.now() - started;
    expect(axios.isAxiosError(timedOut)).toBe(true);
    expect(timedOut).toBeInstanceOf(axios.AxiosError);
    expect(timedOut).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 150ms exceeded', config: { url: '/hurried' } });
    expect(patient.status).toBe(200);
    expect(waitedMs).toBeGreaterThanOrEqual(700);
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests.map((r) => r.url)).toEqual(['/patient']);
  });

  it('with transitional.clarifyTimeoutError the code is ETIMEDOUT, and timeoutErrorMessage is used', async () => {
    const api = axios.create({ baseURL: servers.api.url, transitional: { clarifyTimeoutError: true } });
    oauth2(api, clientOptions(servers));
    const error = await api.get('/x', { timeout: 100, timeoutErrorMessage: 'too slow' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'too slow' });
  });

  it('the time spent waiting counts against the timeout of the request sent afterwards', async () => {
    const api = axios.create({ baseURL: servers.api.url });
    oauth2(api, clientOptions(servers));
    const seen: (number | undefined)[] = [];
    api.defaults.adapter = ((config: { timeout?: number }) => {
      seen.push(config.timeout);
      return Promise.resolve({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config, request: {} });
    }) as never;
    await api.get('/x', { timeout: 5_000 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThanOrEqual(5_000 - 700);
    expect(seen[0]).toBeGreaterThan(0);
  });
});

describe('the replay’s wait for its token', () => {
  const servers = useServers();

  it('is bounded by the request’s timeout too, and ends in axios’ timeout error', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    await auth.getToken();
    servers.auth.revokeAll();
    servers.auth.delayMs = 800;
    const started = Date.now();
    const error = await api.get('/x', { timeout: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(700);
    expect(error).toMatchObject({ isAxiosError: true, code: 'ECONNABORTED', message: 'timeout of 200ms exceeded' });
    expect(servers.api.requests.map((r) => r.status)).toEqual([401]);
  });
});

/** The same, with 100 ms token requests: what the wait leaves of the timeout, seen by the next interceptor. */
describe('the timeout a request is sent with, after its wait', () => {
  const servers = useServers({ delayMs: 100 });

  it('is what is left of its own after the wait, with the message of the timeout it set', async () => {
    const api = servers.newApi();
    const sent: { timeout?: number; timeoutErrorMessage?: string }[] = [];
    // Registered before oauth2(): axios runs it after ours, with the config our wait left.
    api.interceptors.request.use((config) => {
      sent.push({ timeout: config.timeout, timeoutErrorMessage: config.timeoutErrorMessage });
      return config;
    });
    oauth2(api, clientOptions(servers));
    await api.get('/cold', { timeout: 1_000 });
    expect(sent).toHaveLength(1);
    expect(sent[0].timeout).toBeGreaterThanOrEqual(1);
    expect(sent[0].timeout).toBeLessThanOrEqual(1_000 - 90);
    expect(sent[0].timeoutErrorMessage).toBe('timeout of 1000ms exceeded');
    // With the token cached there is no wait: the timeout is the request's own, its message axios' default.
    await api.get('/warm', { timeout: 1_000 });
    expect(sent[1]).toEqual({ timeout: 1_000, timeoutErrorMessage: undefined });
  });

  it("a wait longer than the timeout ends in axios' error for that timeout", async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const error = await api.get('/hurried', { timeout: 30 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 30ms exceeded' });
  });
});
