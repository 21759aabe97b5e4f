import axios from 'axios';
import { oauth2 } from '../lib';
import { clientOptions, useServers } from './support/servers';

describe('the token request goes through `backend`, never through the authorized instance', () => {
  const servers = useServers();

  it('the authorized instance\'s interceptors never see the token request', async () => {
    const api = servers.newApi();
    const seen: string[] = [];
    api.interceptors.request.use((config) => {
      seen.push(`${config.baseURL ?? ''}|${config.url}`);
      return config;
    });
    oauth2(api, clientOptions(servers));
    await api.get('/r');
    servers.auth.revokeAll();
    await api.get('/r2');
    expect(servers.auth.requests).toHaveLength(2);
    expect(seen).toEqual([`${servers.api.url}|/r`, `${servers.api.url}|/r2`]);
    expect(servers.auth.requests.every((r) => /^Basic /.test(r.headers.authorization ?? ''))).toBe(true);
  });

  it('a backend instance of your own sends it, with its own interceptors and headers', async () => {
    const backend = axios.create({ headers: { 'X-Backend': 'mine' } });
    let backendCalls = 0;
    backend.interceptors.request.use((config) => {
      backendCalls += 1;
      return config;
    });
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend });
    await api.get('/r');
    expect(backendCalls).toBe(1);
    expect(servers.auth.requests[0].headers['x-backend']).toBe('mine');
  });

  it('a backend request config is used for the private instance', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), backend: { headers: { 'X-Config': 'yes' } } });
    await api.get('/r');
    expect(servers.auth.requests[0].headers['x-config']).toBe('yes');
  });
});
