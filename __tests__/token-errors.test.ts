import axios from 'axios';
import { InvalidTokenResponseError, OAuth2Error, TokenEndpointError, TokenRequestError, TokenTimeoutError, oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('errors from the token endpoint', () => {
  const servers = useServers();

  /** Makes the authorization server answer every token request with `status` and `body`. */
  function answerWith(status: number, body: string, contentType = 'application/json') {
    servers.auth.override = (_req, res) => {
      res.writeHead(status, { 'Content-Type': contentType }).end(body);
      return true;
    };
  }

  async function failureOf(): Promise<unknown> {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    return api.get('/resource').then(
      () => {
        throw new Error('expected the request to fail');
      },
      (error: unknown) => error,
    );
  }

  it('an RFC 6749 §5.2 error carries status, error, error_description and error_uri', async () => {
    answerWith(
      400,
      JSON.stringify({
        error: 'invalid_scope',
        error_description: 'scope "admin" is not allowed',
        error_uri: 'https://auth.example.com/errors/scope',
      }),
    );
    const error = await failureOf();
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect(error).toMatchObject({
      code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      status: 400,
      error: 'invalid_scope',
      errorDescription: 'scope "admin" is not allowed',
      errorUri: 'https://auth.example.com/errors/scope',
    });
    expect((error as Error).message).toBe('Token endpoint answered 400 invalid_scope: scope "admin" is not allowed');
  });

  it('a 401 invalid_client from the token endpoint is a token error, never a replay', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), clientSecret: 'wrong', retries: 5 });
    await expect(api.get('/resource')).rejects.toMatchObject({ code: 'ERR_OAUTH2_TOKEN_ENDPOINT', status: 401, error: 'invalid_client' });
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests).toHaveLength(0);
  });

  it('an error status without a JSON body still carries the status', async () => {
    answerWith(502, '<html>Bad Gateway</html>', 'text/html');
    const error = await failureOf();
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ status: 502 });
    expect((error as TokenEndpointError).error).toBeUndefined();
  });

  it.each([
    ['access_token missing', { token_type: 'Bearer' }, /access_token is missing/],
    ['access_token empty', { access_token: '', token_type: 'Bearer' }, /access_token is missing, empty/],
    ['access_token not a string', { access_token: 42, token_type: 'Bearer' }, /not a string/],
    ['access_token null', { access_token: null, token_type: 'Bearer' }, /access_token is missing/],
    ['token_type missing', { access_token: 'abc' }, /token_type must be "Bearer"; got none/],
    ['token_type mac', { access_token: 'abc', token_type: 'mac' }, /token_type must be "Bearer"; got "mac"/],
  ])('a 200 with %s is an InvalidTokenResponseError, and no resource request is sent', async (_name, body, message) => {
    answerWith(200, JSON.stringify(body));
    const error = await failureOf();
    expect(error).toBeInstanceOf(InvalidTokenResponseError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_INVALID_TOKEN_RESPONSE', status: 200 });
    expect((error as Error).message).toMatch(message);
    expect(servers.api.requests).toHaveLength(0);
  });

  it('accepts Bearer in any letter case', async () => {
    for (const tokenType of ['bearer', 'BEARER', 'bEaReR']) {
      answerWith(200, JSON.stringify({ access_token: 'abc', token_type: tokenType }));
      const api = servers.newApi();
      oauth2(api, { ...clientOptions(servers), retries: 0 });
      await api.get('/resource').catch(() => undefined);
    }
    expect(servers.api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer abc', 'Bearer abc', 'Bearer abc']);
  });

  it('a redirect is not followed: the credentials go to the configured endpoint only', async () => {
    servers.auth.override = (_req, res) => {
      res.writeHead(307, { Location: `${servers.api.url}/steal` }).end();
      return true;
    };
    const error = await failureOf();
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ status: 307 });
    expect(servers.api.requests).toHaveLength(0);
  });
});

describe('a token request that fails in transport', () => {
  const options = { tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'id', clientSecret: 'secret', tokenRetry: false } as const;

  /** The error getToken() rejects with when the backend's adapter fails with an error of this `code`. */
  async function failureWith(code: unknown): Promise<unknown> {
    const adapter = () => Promise.reject(Object.assign(new Error('transport failed'), { code }));
    const handle = oauth2(axios.create(), { ...options, backend: { adapter, timeout: 1234 } });
    return handle.getToken().then(
      () => {
        throw new Error('expected getToken() to fail');
      },
      (error: unknown) => error,
    );
  }

  it.each(['ECONNABORTED', 'ETIMEDOUT'])("axios' timeout code %s is a token timeout, with the request's timeout", async (code) => {
    const error = await failureWith(code);
    expect(error).toBeInstanceOf(TokenTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_TOKEN_TIMEOUT' });
    expect((error as Error).message).toContain('1234');
  });

  it('any other code stays on the cause of a request error', async () => {
    const error = await failureWith('EPIPE');
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as Error).message).toBe('Token request failed: transport failed');
    expect(((error as Error).cause as { code?: unknown }).code).toBe('EPIPE');
  });

  it('a code that is not a string is left out', async () => {
    const error = await failureWith(42);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as Error).cause).not.toHaveProperty('code');
  });
});
