import axios, { type AxiosAdapter, type AxiosStatic } from 'axios';
import { listenOnLoopback, type Listening } from '../examples/servers/listen';
import { InvalidTokenResponseError, oauth2, TokenEndpointError, TokenRequestError, TokenTimeoutError } from '../lib';
import { processTokenResponse } from '../lib/token/response';
import { freshModule } from './support/fresh-module';

/** response.ts loaded inside the calling test: its patterns are module-level constants (see support/fresh-module.ts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
const freshResponse = () => freshModule(() => require('../lib/token/response')) as typeof import('../lib/token/response');

// eslint-disable-next-line @typescript-eslint/no-require-imports -- axios 0.27.2 (devDependency axios-legacy), typed as the current axios, as support/axios-copies.ts does
const legacyAxios = require('axios-legacy') as AxiosStatic;

/** The error `run` throws, so that a test can look at all of it. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/**
 * The token response as the token manager receives it (RFC 6749 §5.1 and §5.2), in the
 * shapes the transport hands over, and the messages its errors carry.
 */
describe('reading a token response', () => {
  it('a body handed over as bytes is read as UTF-8 JSON', () => {
    const body = Buffer.from('{"access_token":"abc","token_type":"bearer","expires_in":60}', 'utf8');
    expect(processTokenResponse(200, body)).toEqual({ accessToken: 'abc', lifetimeMs: 60_000 });
  });

  it.each([
    ['a number', 5, 'got a number'],
    ['null', null, 'got a null'],
    ['an object', { scheme: 'Bearer' }, 'got a object'],
    ['absent', undefined, 'got none'],
    ['another scheme', 'MAC', 'got "MAC"'],
    ['a long string, cut at 40 characters', 'x'.repeat(60), `got "${'x'.repeat(40)}…"`],
  ])('token_type %s is refused, and the message says what came', (_, tokenType, said) => {
    const error = thrownBy(() => processTokenResponse(200, { access_token: 'abc', token_type: tokenType }));
    expect(error).toBeInstanceOf(InvalidTokenResponseError);
    expect((error as Error).message).toContain(`token_type must be "Bearer"; ${said}`);
    expect((error as Error).message).not.toContain('x'.repeat(41));
  });

  it('a server’s error text is kept up to 1,000 characters, then cut with an ellipsis', () => {
    const long = 'd'.repeat(1_200);
    const error = thrownBy(() => processTokenResponse(400, { error: 'invalid_request', error_description: long }));
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).errorDescription).toBe(`${'d'.repeat(1_000)}…`);
    const exact = thrownBy(() => processTokenResponse(400, { error: 'invalid_request', error_description: 'd'.repeat(1_000) }));
    expect((exact as TokenEndpointError).errorDescription).toBe('d'.repeat(1_000));
  });
});

describe('lifetimes and waits the server gives', () => {
  it.each([
    ['a numeric string', '60', 60_000],
    ['a numeric string with spaces and an exponent', ' 6e1 ', 60_000],
    ['a decimal string', '1.25', 1_250],
    ['an exponent with a sign and two digits', '6E+01', 60_000],
    ['a negative exponent', '6000e-2', 60_000],
    ['a string with a plus sign', '+60', undefined],
    ['a string ending in a dot', '60.', undefined],
    ['a string starting with a dot', '.5', undefined],
    ['a hexadecimal string', '0x10', undefined],
    ['"Infinity"', 'Infinity', undefined],
    ['an array holding a number', ['60'], undefined],
    ['a boolean', true, undefined],
  ])('expires_in as %s', (_, expiresIn, lifetimeMs) => {
    const { processTokenResponse: process } = freshResponse();
    expect(process(200, { access_token: 'abc', token_type: 'Bearer', expires_in: expiresIn }).lifetimeMs).toBe(lifetimeMs);
  });

  it('Retry-After is read only on 429 and 503 (RFC 9110 §10.2.3 gives it meaning there)', () => {
    const retryAfterOf = (status: number) =>
      (thrownBy(() => processTokenResponse(status, { error: 'temporarily_unavailable' }, undefined, '5')) as TokenEndpointError)
        .retryAfterMs;
    expect(retryAfterOf(429)).toBe(5_000);
    expect(retryAfterOf(503)).toBe(5_000);
    expect(retryAfterOf(500)).toBeUndefined();
    expect(retryAfterOf(400)).toBeUndefined();
  });

  it.each([
    ['seconds', '5', 5_000],
    ['seconds as a number', 5, 5_000],
    ['several digits of seconds, spaces around', ' 120 ', 120_000],
    ['the first of several values', ['7', '9'], 7_000],
    ['seconds with a sign', '+5', undefined],
    ['seconds with a letter after', '5s', undefined],
    ['seconds with a letter before', 'x5', undefined],
    ['a boolean', true, undefined],
    ['an object that prints as seconds', { toString: () => '5' }, undefined],
  ])('Retry-After as %s', (_, header, ms) => {
    expect(freshResponse().retryAfterMs(header, 0)).toBe(ms);
  });

  // Each HTTP-date form (RFC 9110 §5.6.7) is read 30 s ahead of "now"; with something before
  // or after it, which Date.parse would still read, it is not a date of that form.
  it.each([
    ['IMF-fixdate', 'Wed, 21 Oct 2015 07:28:30 GMT', 'Oct ', '+0100'],
    ['RFC 850', 'Wednesday, 21-Oct-15 07:28:30 GMT', 'Thu ', '+0100'],
    ['asctime', 'Wed Oct 21 07:28:30 2015', 'x ', ' GMT'],
    ['asctime with a one-digit day', 'Wed Oct  1 07:28:30 2015', 'x ', ' GMT'],
  ])('Retry-After as an HTTP-date, %s', (_, date, before, after) => {
    const { retryAfterMs } = freshResponse();
    const now = Date.parse(date) - 30_000;
    expect(retryAfterMs(date, now)).toBe(30_000);
    expect(retryAfterMs(`  ${date}  `, now)).toBe(30_000);
    expect(Number.isNaN(Date.parse(`${before}${date}`))).toBe(false);
    expect(retryAfterMs(`${before}${date}`, now)).toBeUndefined();
    expect(Number.isNaN(Date.parse(`${date}${after}`))).toBe(false);
    expect(retryAfterMs(`${date}${after}`, now)).toBeUndefined();
  });

  it('Retry-After in the shape of a date that is no date is not read (never NaN)', () => {
    expect(freshResponse().retryAfterMs('Foo, 99 Bar 2015 99:99:99 GMT', 0)).toBeUndefined();
  });

  it.each([
    ['a space inside', 'abc def'],
    ['a space before', ' abc'],
    ['a space after', 'abc '],
  ])('an access_token with %s is refused', (_, token) => {
    const error = thrownBy(() => freshResponse().processTokenResponse(200, { access_token: token, token_type: 'Bearer' }));
    expect((error as Error).message).toContain('access_token contains characters not allowed in an HTTP header');
  });

  it('control characters in a server’s text become spaces; a token_type of exactly 40 characters is shown whole', () => {
    const error = thrownBy(() => processTokenResponse(400, { error: 'invalid_request', error_description: 'line 1\nline 2' }));
    expect((error as TokenEndpointError).errorDescription).toBe('line 1 line 2');
    const forty = 'y'.repeat(40);
    const typeError = thrownBy(() => processTokenResponse(200, { access_token: 'abc', token_type: forty }));
    expect((typeError as Error).message).toContain(`got "${forty}"`);
  });
});

describe('the token request’s answer, whatever the backend hands over', () => {
  let endpoint: Listening;

  beforeEach(async () => {
    endpoint = await listenOnLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        // Header names as a server may send them: axios 0.27 keeps them in a plain object.
        res.writeHead(503, { 'Content-Type': 'application/json', 'RETRY-AFTER': '7' });
        res.end('{"error":"temporarily_unavailable"}');
      });
    });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  const options = () => ({
    tokenEndpoint: `${endpoint.url}/token`,
    clientId: 'billing',
    clientSecret: 'secret-1',
    tokenRetry: false as const,
  });

  it.each([
    ['axios 0.27 (headers in a plain object)', legacyAxios],
    ['the current axios (AxiosHeaders)', axios],
  ])('Retry-After is read from the headers of %s', async (_, copy) => {
    const auth = oauth2(copy.create(), { ...options(), backend: copy.create() });
    const error = await auth.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable', retryAfterMs: 7_000 });
  });

  it.each([
    ['no status', (config: unknown) => ({ data: '', headers: {}, config })],
    [
      'a status that is not a number',
      (config: unknown) => ({ data: '{"access_token":"abc","token_type":"Bearer"}', status: '200', headers: {}, config }),
    ],
  ])('a backend adapter that settles with %s is a request error, not a timeout', async (_, settle) => {
    const adapter: AxiosAdapter = (config) => Promise.resolve(settle(config) as never);
    const auth = oauth2(axios.create(), { ...options(), backend: axios.create({ adapter }) });
    const error = await auth.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).not.toBeInstanceOf(TokenTimeoutError);
    expect((error as Error).message).toContain('the backend gave no response');
  });
});
