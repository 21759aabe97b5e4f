import { nextHopURL, usesProxy } from '../lib/axios/dispatch';

describe("the next redirect hop's URL, from follow-redirects' options", () => {
  it.each([
    [
      'href, when given',
      { href: 'https://api.example.com:8443/x?y', protocol: 'http:', hostname: 'ignored' },
      'https://api.example.com:8443/x?y',
    ],
    ['protocol and hostname', { protocol: 'https:', hostname: 'api.example.com' }, 'https://api.example.com'],
    ['a numeric port', { protocol: 'http:', hostname: 'api.example.com', port: 8080 }, 'http://api.example.com:8080'],
    ['a port as a string', { protocol: 'http:', hostname: 'api.example.com', port: '8081' }, 'http://api.example.com:8081'],
    ['an empty port', { protocol: 'http:', hostname: 'api.example.com', port: '' }, 'http://api.example.com'],
    [
      'a port of another type (none, as the URL parser reads it)',
      { protocol: 'http:', hostname: 'api.example.com', port: null },
      'http://api.example.com:',
    ],
    ['an IPv6 hostname, bracketed', { protocol: 'http:', hostname: '::1', port: 3000 }, 'http://[::1]:3000'],
    ['no protocol', { hostname: 'api.example.com' }, undefined],
    ['no hostname', { protocol: 'https:' }, undefined],
  ])('%s', (_case, options, expected) => {
    expect(nextHopURL(options as never)).toBe(expected);
  });
});

describe('whether axios 0.27 sends a request through a proxy', () => {
  const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'] as const;
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  });
  const withEnv = (set: Partial<Record<(typeof names)[number], string>>): void => {
    for (const name of names) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, set);
  };

  it('`proxy: false` never; a `proxy` setting always', () => {
    withEnv({ HTTPS_PROXY: 'http://proxy:3128' });
    expect(usesProxy({ proxy: false })).toBe(false);
    withEnv({});
    expect(usesProxy({ proxy: { host: 'proxy', port: 3128 } })).toBe(true);
  });

  it.each(names)('without a setting, %s from the environment', (name) => {
    withEnv({});
    expect(usesProxy({})).toBe(false);
    withEnv({ [name]: 'http://proxy:3128' });
    expect(usesProxy({})).toBe(true);
    // An empty variable sets no proxy.
    withEnv({ [name]: '' });
    expect(usesProxy({})).toBe(false);
  });
});
