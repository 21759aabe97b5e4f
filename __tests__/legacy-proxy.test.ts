import http from 'node:http';
import type { AxiosStatic } from 'axios';
import { oauth2 } from '../lib';
import { listenOnLoopback, type Listening } from '../examples/servers/listen';
import { clientOptions, useServers } from './support/servers';
import { Site } from './support/site';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- typed as the current axios's AxiosStatic, as the tests use it, not by axios 0.27's own declarations
const legacy = require('axios-legacy') as AxiosStatic;

/**
 * axios 0.27 lets `config.beforeRedirect` replace the hook that keeps redirects on its
 * proxy: behind a proxy the plugin installs none, and every hop still goes through it.
 */
describe('axios 0.27 behind a proxy', () => {
  const servers = useServers();
  let api: Site;
  let proxy: Listening;
  const proxied: string[] = [];

  beforeEach(async () => {
    api = await new Site((token) => servers.auth.isValid(token)).start();
    proxied.length = 0;
    // A forward proxy for plain http: requests arrive in absolute form and are passed on.
    proxy = await listenOnLoopback((req, res) => {
      proxied.push(req.url ?? '');
      const target = new URL(req.url ?? '');
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
  });
  afterEach(async () => {
    await Promise.all([api.stop(), proxy.close()]);
  });

  it('every redirect hop still goes through the proxy, with the token where it is allowed', async () => {
    const { port } = new URL(proxy.url);
    const client = legacy.create({ baseURL: api.url, proxy: { protocol: 'http', host: '127.0.0.1', port: Number(port) } });
    oauth2(client, clientOptions(servers));
    const landing = `${api.url}/landing`;
    await expect(client.get(`/redirect?to=${encodeURIComponent(landing)}`)).resolves.toMatchObject({ status: 200 });
    expect(proxied).toEqual([`${api.url}/redirect?to=${encodeURIComponent(landing)}`, landing]);
    expect(api.requests.map((r) => r.authorization)).toEqual([
      `Bearer ${servers.auth.everIssued[0]}`,
      `Bearer ${servers.auth.everIssued[0]}`,
    ]);
  });
});
