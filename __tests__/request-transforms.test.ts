import type { AxiosRequestTransformer } from 'axios';
import { oauth2, type OAuth2Event } from '../lib';
import { endsWithDispatchStep, isCopyOf, withDispatchStep } from '../lib/axios/transforms';
import { clientOptions, useServers } from './support/servers';

/**
 * The token is attached as the last step of the request's transformRequest. A request may
 * bring transforms of its own (axios then ignores the instance defaults): whatever their
 * form, the app's transforms run, in order, the token reaches the wire, and a replay sends
 * the bytes the transforms made.
 */
describe("a request's own transformRequest", () => {
  const servers = useServers();

  const upper: AxiosRequestTransformer = (data) => String(data).toUpperCase();
  const tagged: AxiosRequestTransformer = (data) => `${String(data)}!`;

  it.each([
    ['one function', upper, 'HELLO'],
    ['an array of two, run in order', [upper, tagged], 'HELLO!'],
    ['an empty array', [], 'hello'],
  ])('%s: the transforms run, the token is attached, and a replay sends the same bytes', async (_form, transformRequest, sent) => {
    const api = servers.newApi();
    const handle = oauth2(api, clientOptions(servers));
    const token = await handle.getToken();
    servers.auth.revokeAll();
    const response = await api.post('/echo', 'hello', { transformRequest, headers: { 'Content-Type': 'text/plain' } });
    expect(response.status).toBe(200);
    const received = servers.api.requests.map((request) => [request.body.toString(), request.headers.authorization]);
    expect(received).toEqual([
      [sent, `Bearer ${token}`],
      [sent, `Bearer ${servers.auth.everIssued[1]}`],
    ]);
  });

  it('the same transforms on many requests: each request gets the token once, not a step per request', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const transformRequest = [upper];
    for (let i = 0; i < 3; i++) await api.post('/echo', 'x', { transformRequest, headers: { 'Content-Type': 'text/plain' } });
    expect(transformRequest).toEqual([upper]);
    expect(servers.api.requests.map((request) => request.body.toString())).toEqual(['X', 'X', 'X']);
  });
});

describe('where a replayed request went, as its request:replay event tells it', () => {
  const servers = useServers();

  async function replayedURL(send: (api: ReturnType<typeof servers.newApi>) => Promise<unknown>): Promise<string | undefined> {
    const api = servers.newApi();
    const handle = oauth2(api, { ...clientOptions(servers), origins: '*' });
    const events: OAuth2Event<'request:replay'>[] = [];
    handle.on('request:replay', (event) => events.push(event));
    await handle.getToken();
    servers.auth.revokeAll();
    await send(api);
    expect(events).toHaveLength(1);
    return events[0].url;
  }

  it('a relative URL: joined to baseURL, without its query', async () => {
    expect(await replayedURL((api) => api.get('/orders/7?api_key=abc'))).toBe(`${servers.api.url}/orders/7`);
  });

  it('an absolute URL: its origin and path, without query or fragment', async () => {
    expect(await replayedURL((api) => api.get(`${servers.api.url}/a/b?k=v#frag`, { baseURL: undefined }))).toBe(`${servers.api.url}/a/b`);
  });
});

describe('the transforms array the dispatch step rides in', () => {
  const step = (data: unknown) => data;
  const first = (data: unknown) => data;
  const last = (data: unknown) => data;

  it('isCopyOf: another array holding the same functions in the same order, and nothing else', () => {
    const defaults = [first, last];
    expect(isCopyOf([first, last], defaults)).toBe(true);
    expect(isCopyOf(defaults, defaults)).toBe(false);
    expect(isCopyOf([last, first], defaults)).toBe(false);
    expect(isCopyOf([first], defaults)).toBe(false);
    expect(isCopyOf([first, last, step], defaults)).toBe(false);
    expect(isCopyOf([], [])).toBe(false);
    expect(isCopyOf(first, [first])).toBe(false);
    expect(isCopyOf([first], first)).toBe(false);
    // Indexed like arrays, but not arrays.
    expect(isCopyOf('ab', ['a', 'b'])).toBe(false);
    expect(isCopyOf(['a', 'b'], 'ab')).toBe(false);
  });

  it('withDispatchStep: a new array whose last transform runs the step after itself; the given one is left as it was', () => {
    const given = [first, last];
    const withStep = withDispatchStep(given, step);
    expect(withStep).not.toBe(given);
    expect(given).toEqual([first, last]);
    expect(withStep[0]).toBe(first);
    expect(endsWithDispatchStep(withStep, step)).toBe(true);
    expect(withDispatchStep(withStep, step)).toBe(withStep);
    expect(withDispatchStep(undefined, step)).toEqual([step]);
    expect(withDispatchStep(null, step)).toEqual([step]);
    expect(withDispatchStep([], step)).toEqual([step]);
    expect(endsWithDispatchStep(withDispatchStep(last, step), step)).toBe(true);
    expect(endsWithDispatchStep([step], step)).toBe(true);
    expect(endsWithDispatchStep([first, last], step)).toBe(false);
    expect(endsWithDispatchStep([], step)).toBe(false);
    expect(endsWithDispatchStep(step, step)).toBe(false);
  });
});
