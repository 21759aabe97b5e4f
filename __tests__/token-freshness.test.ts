import { oauth2 } from '../lib';
import { useFakeClock } from './support/fake-clock';
import { clientOptions, useServers } from './support/servers';

describe('no token older than an invalidation', () => {
  const servers = useServers({ delayMs: 300 });

  it('invalidate() during a token request in flight: the next request does not join it', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const early = auth.getToken();
    await new Promise((resolve) => setTimeout(resolve, 50));
    auth.invalidate();
    const response = await api.get('/after');
    expect(response.status).toBe(200);
    // The early caller gets what it asked for; the request after invalidate() a token requested after it.
    expect(await early).toBe(servers.auth.everIssued[0]);
    expect(servers.auth.requests).toHaveLength(2);
    expect(servers.api.requests[0].headers.authorization).toBe(`Bearer ${servers.auth.everIssued[1]}`);
    expect(await auth.getToken()).toBe(servers.auth.everIssued[1]);
  });

  it('a 401 while a background renewal is in flight: the replay does not take the renewal’s token', async () => {
    const clock = useFakeClock();
    servers.auth.expiresIn = 60;
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const first = await auth.getToken();
    clock.advanceSeconds(57.5); // in the renewal window: a request starts a background renewal
    await api.get('/starts-renewal');
    // The authorization server revokes everything, the renewal in flight included once it is issued.
    servers.auth.revokeAll();
    const renewalIssued = new Promise<void>((resolve) => servers.auth.once('answered', () => resolve()));
    const refused = api.get('/refused');
    await renewalIssued;
    servers.auth.revokeAll();
    await expect(refused).resolves.toMatchObject({ status: 200 });
    const tokens = servers.api.requests.map((r) => r.headers.authorization?.slice('Bearer '.length));
    expect(tokens[0]).toBe(first);
    // The replay carries a token requested after the 401, not the renewal's.
    expect(tokens.at(-1)).toBe(servers.auth.everIssued.at(-1));
    expect(tokens.at(-1)).not.toBe(servers.auth.everIssued[1]);
  });
});

describe('a monotonic clock for lifetimes', () => {
  const servers = useServers({ expiresIn: 60 });

  it('a wall clock set back an hour does not keep an expired token alive', async () => {
    const clock = useFakeClock();
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), retries: 0 });
    const old = await auth.getToken();
    clock.advanceSeconds(59);
    clock.stepWallClock(-3_600);
    await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
    expect(servers.auth.requests).toHaveLength(2);
    expect(servers.api.requests[0].headers.authorization).not.toBe(`Bearer ${old}`);
  });

  it('a wall clock set forward a day does not expire a fresh token', async () => {
    const clock = useFakeClock();
    const api = servers.newApi();
    const auth = oauth2(api, clientOptions(servers));
    const token = await auth.getToken();
    clock.stepWallClock(86_400);
    await api.get('/x');
    expect(servers.auth.requests).toHaveLength(1);
    expect(servers.api.requests[0].headers.authorization).toBe(`Bearer ${token}`);
  });
});

describe('a request waiting for a token across invalidate()', () => {
  const servers = useServers({ delayMs: 300 });

  it('is sent with the token it waited for, not with none', async () => {
    const api = servers.newApi();
    const auth = oauth2(api, { ...clientOptions(servers), retries: 0 });
    const waiting = api.get('/waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
    auth.invalidate();
    await expect(waiting).resolves.toMatchObject({ status: 200 });
    expect(servers.api.requests[0].headers.authorization).toBe(`Bearer ${servers.auth.everIssued[0]}`);
  });
});
