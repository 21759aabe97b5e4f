import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { oauth2 } from '../lib';

const tokenEndpoint = 'https://auth.example.com/oauth2/token';

/** A resource instance and a token backend, both mocked; returns the backend's recorded requests. */
function setup(options: Record<string, unknown> = {}) {
  const api = axios.create({ baseURL: 'https://api.example.com' });
  const backend = axios.create();
  const apiMock = new MockAdapter(api);
  const authMock = new MockAdapter(backend);
  apiMock.onAny().reply(200, { ok: true });
  authMock.onPost(tokenEndpoint).reply(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 });
  const handle = oauth2(api, { tokenEndpoint, clientId: 'billing-service', clientSecret: 'p@ss word', backend, ...options });
  return { api, apiMock, authMock, handle };
}

describe('the token request (RFC 6749 §4.4.2)', () => {
  it('is a form-encoded POST asking for JSON, with grant_type then scope', async () => {
    const { handle, authMock } = setup({ scope: 'invoices:read invoices:write' });
    await handle.getToken();
    const [request] = authMock.history.post;
    expect(request.method).toBe('post');
    expect(request.url).toBe(tokenEndpoint);
    expect(request.headers?.['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers?.Accept).toBe('application/json');
    expect(request.data).toBe('grant_type=client_credentials&scope=invoices%3Aread+invoices%3Awrite');
  });

  it('joins an array scope with one space', async () => {
    const { handle, authMock } = setup({ scope: ['a', 'b', 'c'] });
    await handle.getToken();
    expect(new URLSearchParams(authMock.history.post[0].data as string).get('scope')).toBe('a b c');
  });

  it('omits scope when it is empty', async () => {
    for (const scope of [undefined, '', [], '   ']) {
      const { handle, authMock } = setup({ scope });
      await handle.getToken();
      expect(authMock.history.post[0].data).toBe('grant_type=client_credentials');
    }
  });

  it('client_secret_basic: Basic of form-encoded id ":" form-encoded secret (RFC 6749 §2.3.1)', async () => {
    const { handle, authMock } = setup({ clientId: 'a:b c', clientSecret: 'ü+%/&=' });
    await handle.getToken();
    const expected = `Basic ${Buffer.from('a%3Ab+c:%C3%BC%2B%25%2F%26%3D').toString('base64')}`;
    expect(authMock.history.post[0].headers?.Authorization).toBe(expected);
    expect(authMock.history.post[0].data).toBe('grant_type=client_credentials');
  });

  it('client_secret_post: id and secret in the body, no Authorization header', async () => {
    const { handle, authMock } = setup({ tokenEndpointAuthMethod: 'client_secret_post', scope: 'read' });
    await handle.getToken();
    const [request] = authMock.history.post;
    expect(request.headers?.Authorization).toBeUndefined();
    expect(request.data).toBe('grant_type=client_credentials&scope=read&client_id=billing-service&client_secret=p%40ss+word');
  });

  it('sends extra parameters such as audience and RFC 8707 resource in the same body', async () => {
    const { handle, authMock } = setup({ extraParams: { audience: 'billing', resource: ['https://a.example', 'https://b.example'] } });
    await handle.getToken();
    const params = new URLSearchParams(authMock.history.post[0].data as string);
    expect(params.get('audience')).toBe('billing');
    expect(params.getAll('resource')).toEqual(['https://a.example', 'https://b.example']);
  });

  it('never carries a bearer token, even when it is sent to fetch a replacement', async () => {
    const { api, apiMock, authMock } = setup();
    apiMock.reset();
    apiMock.onGet('/x').replyOnce(401).onGet('/x').reply(200);
    authMock.reset();
    authMock.onPost(tokenEndpoint).replyOnce(200, { access_token: 'tok-1', token_type: 'Bearer' });
    authMock.onPost(tokenEndpoint).replyOnce(200, { access_token: 'tok-2', token_type: 'Bearer' });
    await api.get('/x');
    expect(authMock.history.post).toHaveLength(2);
    for (const request of authMock.history.post) {
      expect(String(request.headers?.Authorization)).toMatch(/^Basic /);
    }
    expect(apiMock.history.get.map((r): unknown => r.headers?.Authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });
});
