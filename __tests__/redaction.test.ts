import { EventEmitter } from 'node:events';
import { Agent } from 'node:http';
import { hideRequestsOnSocket, redactBearerTokens } from '../lib/axios/redaction';

/**
 * The walk behind the redaction of an axios error (lib/axios/redaction.ts), on error
 * graphs built by hand: what it hides (event emitters: streams, sockets, requests, and
 * agents' socket pools), what it leaves (the body, agents in the config, everything it
 * cannot or must not touch), and where it stops. transport-leaks.test.ts shows the same
 * on real sockets.
 */

const ours = (value: unknown) => value === 'Bearer ours';

function axiosError(fields: { config?: object; response?: object }) {
  return Object.assign(new Error('Request failed with status code 500'), { isAxiosError: true as const }, fields) as never;
}

const enumerable = (holder: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(holder, key)?.enumerable;

describe('the redaction of an axios error', () => {
  it('takes our Authorization out of the config and leaves the caller’s other headers', () => {
    const headers = { Authorization: 'Bearer ours', Accept: 'application/json' };
    redactBearerTokens(axiosError({ config: { headers } }), ours);
    expect(headers).toEqual({ Accept: 'application/json' });
  });

  it('hides each emitter it reaches (a request, a socket), which stays readable by name', () => {
    const request = new EventEmitter();
    const socket = new EventEmitter();
    const response = { status: 500, request, nested: { socket } };
    const error = axiosError({ response });
    redactBearerTokens(error, ours);
    expect(enumerable(response, 'request')).toBe(false);
    expect(enumerable(response.nested, 'socket')).toBe(false);
    expect(response.request).toBe(request);
    expect(Object.keys(response)).toEqual(['status', 'nested']);
  });

  it('leaves the response body alone: a stream stays enumerable, and a parsed body is not walked', () => {
    const stream = new EventEmitter();
    const streamed = { status: 401, data: stream };
    redactBearerTokens(axiosError({ response: streamed }), ours);
    expect(enumerable(streamed, 'data')).toBe(true);

    const parsed = { status: 500, data: { emitter: new EventEmitter() } };
    redactBearerTokens(axiosError({ response: parsed }), ours);
    expect(enumerable(parsed.data, 'emitter')).toBe(true);
  });

  it('in the config: an agent stays, its socket pools are hidden; a stream body is hidden', () => {
    const agent = new Agent();
    const body = new EventEmitter();
    const config = { headers: {}, httpAgent: agent, data: body };
    redactBearerTokens(axiosError({ config }), ours);
    expect(enumerable(config, 'httpAgent')).toBe(true);
    for (const pool of ['sockets', 'freeSockets', 'requests']) {
      expect(enumerable(agent, pool)).toBe(false);
      expect((agent as unknown as Record<string, unknown>)[pool]).toEqual({});
    }
    expect(enumerable(config, 'data')).toBe(false);
    expect(config.data).toBe(body);
    agent.destroy();
  });

  it('walks four steps from the error and no further (error → response → body → socket is three)', () => {
    const atFour = { emitter: new EventEmitter() };
    const atFive = { emitter: new EventEmitter() };
    const error = axiosError({ response: { one: { two: { three: atFour, four: { five: atFive } } } } });
    // error (0) → response (1) → one (2) → two (3) → three (4): walked; → four (4) → five (5): not.
    redactBearerTokens(error, ours);
    expect(enumerable(atFour, 'emitter')).toBe(false);
    expect(enumerable(atFive, 'emitter')).toBe(true);
  });

  it('neither reads getters nor walks properties that do not print, and leaves what cannot be redefined', () => {
    let reads = 0;
    const behindGetter = { emitter: new EventEmitter() };
    const response: Record<string, unknown> = {};
    Object.defineProperty(response, 'lazy', {
      enumerable: true,
      get: () => {
        reads += 1;
        return behindGetter;
      },
    });
    const unprinted = { emitter: new EventEmitter() };
    Object.defineProperty(response, 'hidden', { enumerable: false, value: unprinted });
    const fixed = new EventEmitter();
    Object.defineProperty(response, 'fixed', { enumerable: true, configurable: false, value: fixed });

    expect(() => redactBearerTokens(axiosError({ response }), ours)).not.toThrow();
    expect(reads).toBe(0);
    expect(enumerable(behindGetter, 'emitter')).toBe(true);
    expect(enumerable(unprinted, 'emitter')).toBe(true);
    expect(enumerable(response, 'fixed')).toBe(true);
  });
});

describe('the requests a socket points at', () => {
  it('are hidden ahead (_httpMessage) and as found; the rest of the socket is left as it is', () => {
    const socket = new EventEmitter() as EventEmitter & Record<PropertyKey, unknown>;
    const request = new EventEmitter();
    const pinned = new EventEmitter();
    socket._httpMessage = null;
    socket[Symbol.for('axios.request')] = request;
    Object.defineProperty(socket, 'pinned', { enumerable: true, configurable: false, value: pinned });
    Object.defineProperty(socket, 'computed', { enumerable: true, configurable: true, get: () => new EventEmitter() });
    socket.remoteAddress = '127.0.0.1';

    hideRequestsOnSocket({ socket });
    expect(enumerable(socket, '_httpMessage')).toBe(false);
    expect(enumerable(socket, Symbol.for('axios.request'))).toBe(false);
    expect(enumerable(socket, 'pinned')).toBe(true);
    expect(enumerable(socket, 'computed')).toBe(true);
    expect(enumerable(socket, 'remoteAddress')).toBe(true);
    // Node assigns the request by name later: it stays hidden.
    socket._httpMessage = request;
    expect(Object.keys(socket)).not.toContain('_httpMessage');
  });

  it('nothing happens without a socket', () => {
    expect(() => {
      hideRequestsOnSocket(undefined);
      hideRequestsOnSocket(null);
      hideRequestsOnSocket({ socket: {} });
    }).not.toThrow();
  });
});
