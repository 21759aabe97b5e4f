import { ClientAssertionError, InvalidTokenResponseError, TokenEndpointError, TokenRequestError, TokenTimeoutError } from '../lib/errors';
import { clientFields, describeFailure, endpointForEvents, EVENT_NAMES, EventHub } from '../lib/telemetry/events';

/**
 * The event hub and the fields of events on their own (issue #12: survivors of mutation
 * testing): what every event carries, what a failure is described by, and how listeners
 * are added, removed, isolated from each other and reported when they throw.
 */
const CLIENT = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'billing', grantType: 'client_credentials' };

describe('EventHub', () => {
  it('an event is its name, the client fields and its own fields, given to each listener of that name only', () => {
    const hub = new EventHub(CLIENT);
    const received: unknown[] = [];
    hub.on('token:fetch', (event) => received.push(event));
    hub.on('token:issued', () => received.push('wrong listener'));
    hub.emit('token:fetch', { fetchId: 3, renewal: true });
    expect(received).toEqual([{ event: 'token:fetch', ...CLIENT, fetchId: 3, renewal: true }]);
  });

  it('has() tells whether anyone listens, before, during and after', () => {
    const hub = new EventHub(CLIENT);
    expect(hub.has('token:failed')).toBe(false);
    const off = hub.on('token:failed', () => undefined);
    expect(hub.has('token:failed')).toBe(true);
    expect(hub.has('token:fetch')).toBe(false);
    off();
    expect(hub.has('token:failed')).toBe(false);
  });

  it('listeners run in the order added; one added or removed during an emit changes the next emit, not this one', () => {
    const hub = new EventHub(CLIENT);
    const calls: string[] = [];
    let offSecond = (): void => undefined;
    hub.on('token:fetch', () => {
      calls.push('first');
      hub.on('token:fetch', () => calls.push('added'));
      offSecond();
    });
    offSecond = hub.on('token:fetch', () => calls.push('second'));
    hub.emit('token:fetch', { fetchId: 1, renewal: false });
    expect(calls).toEqual(['first', 'second']);
    calls.length = 0;
    hub.emit('token:fetch', { fetchId: 2, renewal: false });
    expect(calls).toEqual(['first', 'added']);
  });

  it('a listener that throws is reported with the event name, and the others still run; a failing report is swallowed', () => {
    const failures: [unknown, string][] = [];
    const boom = new Error('listener bug');
    const hub = new EventHub(CLIENT, (error, name) => failures.push([error, name]));
    const calls: string[] = [];
    hub.on('token:invalidated', () => {
      throw boom;
    });
    hub.on('token:invalidated', () => calls.push('after'));
    expect(() => hub.emit('token:invalidated', { reason: 'manual' })).not.toThrow();
    expect(calls).toEqual(['after']);
    expect(failures).toEqual([[boom, 'token:invalidated']]);

    const quiet = new EventHub(CLIENT, () => {
      throw new Error('the report fails too');
    });
    quiet.on('token:invalidated', () => {
      throw boom;
    });
    quiet.on('token:invalidated', () => calls.push('still'));
    expect(() => quiet.emit('token:invalidated', { reason: 'unauthorized' })).not.toThrow();
    expect(calls).toEqual(['after', 'still']);
  });

  it('without onListenerFailure, a throwing listener is ignored', () => {
    const hub = new EventHub(CLIENT);
    hub.on('request:replay', () => {
      throw new Error('ignored');
    });
    expect(() => hub.emit('request:replay', { replay: 1, method: 'GET', url: 'https://api.example.com/x' })).not.toThrow();
  });

  it('every event name is known, once each', () => {
    expect(EVENT_NAMES).toEqual([
      'token:fetch',
      'token:attempt',
      'token:attempt-failed',
      'token:issued',
      'token:failed',
      'token:invalidated',
      'token:cooldown-rejected',
      'request:replay',
      'store:unavailable',
      'store:available',
    ]);
  });
});

describe('the fields of events', () => {
  it('the token endpoint is shown as origin and path: no query, no fragment, no credentials', () => {
    expect(endpointForEvents('https://user:pass@auth.example.com:8443/oauth2/token?tenant=a#x')).toBe(
      'https://auth.example.com:8443/oauth2/token',
    );
  });

  it('client fields: clientId and scope only when there are some', () => {
    const grant = { type: 'client_credentials' };
    expect(clientFields({ tokenEndpoint: 'https://auth.example.com/token?x=1', clientId: 'billing', grant, scope: 'read write' })).toEqual({
      tokenEndpoint: 'https://auth.example.com/token',
      clientId: 'billing',
      grantType: 'client_credentials',
      scope: 'read write',
    });
    expect(clientFields({ tokenEndpoint: 'https://auth.example.com/token', clientId: undefined, grant, scope: '' })).toEqual({
      tokenEndpoint: 'https://auth.example.com/token',
      grantType: 'client_credentials',
    });
  });

  it('a failure of the token endpoint: code, message, status and the OAuth2 error', () => {
    const error = new TokenEndpointError({ status: 400, error: 'invalid_scope' });
    expect(describeFailure(error)).toEqual({
      errorCode: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      errorMessage: error.message,
      status: 400,
      error: 'invalid_scope',
    });
    expect(describeFailure(new TokenEndpointError({ status: 503 }))).not.toHaveProperty('error');
  });

  it('an unusable token response: its status, no OAuth2 error', () => {
    const error = new InvalidTokenResponseError(200, 'access_token is missing');
    expect(describeFailure(error)).toEqual({ errorCode: 'ERR_OAUTH2_INVALID_TOKEN_RESPONSE', errorMessage: error.message, status: 200 });
  });

  it('failures without an answer: code and message only', () => {
    for (const error of [
      new TokenTimeoutError(1_000),
      new TokenRequestError('socket hang up', new Error('x')),
      new ClientAssertionError('no'),
    ]) {
      expect(Object.keys(describeFailure(error)).sort()).toEqual(['errorCode', 'errorMessage']);
    }
  });

  it('a foreign error is described by its name only, anything else by its type: their text is unknown ground', () => {
    const foreign = new TypeError('Cannot read properties of undefined (reading "secret-value")');
    expect(describeFailure(foreign)).toEqual({ errorCode: 'ERR_UNKNOWN', errorMessage: 'TypeError' });
    expect(describeFailure('secret-value')).toEqual({ errorCode: 'ERR_UNKNOWN', errorMessage: 'string' });
    expect(describeFailure(undefined)).toEqual({ errorCode: 'ERR_UNKNOWN', errorMessage: 'undefined' });
  });
});
