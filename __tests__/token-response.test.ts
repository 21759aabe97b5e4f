import axios, { type AxiosAdapter, type AxiosStatic } from 'axios';
import { listenOnLoopback, type Listening } from '../examples/servers/listen';
import { InvalidTokenResponseError, oauth2, TokenEndpointError, TokenRequestError, TokenTimeoutError } from '../lib';
import { processTokenResponse } from '../lib/token/response';

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
