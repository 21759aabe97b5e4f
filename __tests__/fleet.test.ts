import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { oauth2, redisStore, type OAuth2Event, type TokenStore } from '../lib';
import { useFleet, type Fleet, type FleetEvent, type MemberStoreSettings, type RequestsReport } from './support/fleet';
import { memoryStore } from './support/memory-store';
import { useRedisClients, type RedisClientKind } from './support/redis-clients';
import { useRedisServer } from './support/redis-server';
import { CLIENT_ID, CLIENT_SECRET, clientOptions, useServers } from './support/servers';
import { sleep } from './support/token-endpoint-script';

/**
 * Option `store` with `redisStore()` as a fleet really runs it: 8 Node processes
 * (support/fleet-member.cjs, the built package), each with its own Redis client, against
 * a real redis-server on a loopback port and the real loopback token server and API of
 * the parent. What shared-store.test.ts shows in one process with a memory store, here
 * across processes: one token request per cold start, per 401 burst and per renewal;
 * a lease holder that dies is taken over within the lease TTL; Redis going away fails no
 * request and sharing resumes when it is back; Redis never holds the token readably.
 *
 * The members run the built CommonJS package with the project's axios, whichever axios
 * the jest project maps for the parent: this runs in the current-axios project only.
 */
const describeOnce = axios.VERSION === '1.6.0' ? describe.skip : describe;

const FLEET_SIZE = 8;
const POLL_INTERVAL_MS = 20;
/**
 * The members' store operation timeout. The 8 members share the 2 CPUs of a test machine with
 * the servers and Redis: 200 requests set off at once stall a member's event loop for 1 to 3 s
 * (measured), so the default 250 ms would have members fall back to fetching alone for reasons
 * that are the machine's, not Redis's. How the default copes with a stalled process is tested on
 * its own below ("this process being busy is not the store timing out").
 */
const OPERATION_TIMEOUT_MS = 1_000;

const FAMILIES: readonly { family: string; current: RedisClientKind; previous: RedisClientKind }[] = [
  { family: 'node-redis', current: 'redis@6', previous: 'redis@5' },
  { family: 'ioredis', current: 'ioredis@6', previous: 'ioredis@5' },
];

/** The counts of several members' reports, added up. */
function total(reports: RequestsReport[]): RequestsReport {
  const sum: RequestsReport = {
    ok: 0,
    failed: 0,
    statuses: {},
    errors: {},
    maxMs: 0,
    slow: [],
    redisCommands: 0,
    redisCommandsFailed: 0,
    redisCommandMaxMs: 0,
    eventLoopDelayMaxMs: 0,
  };
  for (const report of reports) {
    sum.ok += report.ok;
    sum.failed += report.failed;
    for (const [status, count] of Object.entries(report.statuses)) sum.statuses[status] = (sum.statuses[status] ?? 0) + count;
    for (const [code, count] of Object.entries(report.errors)) sum.errors[code] = (sum.errors[code] ?? 0) + count;
    sum.maxMs = Math.max(sum.maxMs, report.maxMs);
    sum.slow.push(...report.slow);
    sum.redisCommands += report.redisCommands;
    sum.redisCommandsFailed += report.redisCommandsFailed;
    sum.redisCommandMaxMs = Math.max(sum.redisCommandMaxMs, report.redisCommandMaxMs);
    sum.eventLoopDelayMaxMs = Math.max(sum.eventLoopDelayMaxMs, report.eventLoopDelayMaxMs);
  }
  return sum;
}

/** The figures of a report worth printing. */
function figures(report: RequestsReport): string {
  return (
    `${report.ok} ok, ${report.failed} failed ${JSON.stringify(report.errors)}, slowest request ${report.maxMs} ms; ` +
    `${report.redisCommands} Redis commands (${report.redisCommandsFailed} failed, slowest ${report.redisCommandMaxMs} ms), ` +
    `longest event-loop stall ${report.eventLoopDelayMaxMs} ms`
  );
}

/** How many of `events` each member sent, by member index. */
function perMember(events: FleetEvent[]): number[] {
  const counts = new Array<number>(FLEET_SIZE).fill(0);
  for (const event of events) counts[event.member]++;
  return counts;
}

/** Every form of `secret` a careless store might keep: as it is, base64, base64url, hex, and each 8-character piece. */
function readableForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const pieces = Array.from({ length: Math.max(0, secret.length - 7) }, (_, i) => secret.slice(i, i + 8));
  return [
    secret,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    ...pieces,
  ];
}

/** Keeps this process busy for `ms`, as a burst of synchronous work does (200 requests set off at once take ~1 s in a loaded member). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

describeOnce.each(FAMILIES)('a fleet of 8 processes sharing tokens through a real redis-server, with $family', ({ current, previous }) => {
  const servers = useServers({ expiresIn: 3600 });
  const redis = useRedisServer();
  const rawClients = useRedisClients();
  const fleets = useFleet();

  /** 8 cold members with clients of `kind`, under a key prefix of their own (no test sees another's entries). */
  async function startFleet(
    kind: RedisClientKind,
    store: MemberStoreSettings = {},
    oauth2: Record<string, unknown> = {},
  ): Promise<{ fleet: Fleet; prefix: string }> {
    const prefix = `fleet-test:${randomBytes(6).toString('hex')}:`;
    const fleet = await fleets.start({
      size: FLEET_SIZE,
      redis: { kind, url: redis.url },
      apiUrl: servers.api.url,
      oauth2: { ...clientOptions(servers), ...oauth2 },
      store: { keyPrefix: prefix, pollIntervalMs: POLL_INTERVAL_MS, operationTimeoutMs: OPERATION_TIMEOUT_MS, ...store },
    });
    return { fleet, prefix };
  }

  it.each([current, previous])(
    '%s: 8 cold members × 200 concurrent requests: 1 token request, all 1600 succeed with that one token',
    async (kind) => {
      const { fleet } = await startFleet(kind);
      const reports = await fleet.all({ command: 'burst', n: 200, path: '/cold' });
      const sum = total(reports);
      console.log(
        `${kind} cold start: ${servers.auth.requests.length} token request(s); ${figures(sum)}; store:unavailable ${fleet.eventsNamed('store:unavailable').length}`,
      );

      expect(sum).toMatchObject({ ok: 1600, failed: 0, statuses: { 200: 1600 } });
      expect(servers.auth.requests.length).toBe(1);
      expect(servers.api.requests).toHaveLength(1600);
      expect(new Set(servers.api.requests.map((request) => request.headers.authorization))).toEqual(
        new Set([`Bearer ${servers.auth.everIssued[0]}`]),
      );
      // One member fetched, the 7 others took its token from Redis; each member fetched once.
      const issued = fleet.eventsNamed('token:issued');
      expect(perMember(issued)).toEqual(new Array(FLEET_SIZE).fill(1));
      expect(issued.filter((event) => event.fields.source === 'endpoint')).toHaveLength(1);
      expect(issued.filter((event) => event.fields.source === 'store')).toHaveLength(FLEET_SIZE - 1);
      expect(fleet.eventsNamed('token:attempt')).toHaveLength(1);
    },
    30_000,
  );

  it(`${current}: a 401 burst across the 8 members after a revocation: 1 more token request, every request succeeds`, async () => {
    const { fleet } = await startFleet(current);
    expect(total(await fleet.all({ command: 'burst', n: 1, path: '/warm' }))).toMatchObject({ ok: FLEET_SIZE, failed: 0 });
    expect(servers.auth.requests.length).toBe(1);

    servers.auth.revokeAll();
    const revokedAt = servers.api.requests.length;
    const sum = total(await fleet.all({ command: 'burst', n: 50, path: '/after-revoke' }));
    const refused = servers.api.requests.slice(revokedAt).filter((request) => request.status === 401).length;
    console.log(
      `${current} 401 burst: ${servers.auth.requests.length - 1} token request(s) for the burst, ${refused} 401s answered; ${figures(sum)}; ` +
        `store:unavailable ${fleet.eventsNamed('store:unavailable').length}`,
    );

    expect(sum).toMatchObject({ ok: 400, failed: 0 });
    expect(servers.auth.requests.length).toBe(2);
    // Every member met the revocation, and all replayed with the one new token.
    expect(
      perMember(fleet.eventsNamed('token:invalidated').filter((event) => event.fields.reason === 'unauthorized')).every(
        (count) => count >= 1,
      ),
    ).toBe(true);
    const succeeded = servers.api.requests.slice(revokedAt).filter((request) => request.status === 200);
    expect(new Set(succeeded.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${servers.auth.everIssued[1]}`]));
    expect(fleet.eventsNamed('token:attempt')).toHaveLength(2);
  }, 30_000);

  it(`${current}: the lease holder killed mid-fetch: another member takes over once its lease expires, and every other request succeeds`, async () => {
    const LEASE_TTL_MS = 2_000;
    // The first token request is held until its connection closes (its process died); later ones are answered.
    let tokenRequests = 0;
    servers.auth.override = (req) =>
      ++tokenRequests === 1 ? new Promise<boolean>((resolve) => req.socket.once('close', () => resolve(true))) : false;
    const { fleet } = await startFleet(current, { leaseTtlMs: LEASE_TTL_MS });

    const bursts = fleet.members.map((member) =>
      member.send({ command: 'burst', n: 20, path: '/takeover' }).then(
        (report) => ({ member: member.index, report, at: Date.now() }),
        (error: unknown) => ({ member: member.index, error, at: Date.now() }),
      ),
    );
    const attempt = await fleet.nextEvent((event) => event.name === 'token:attempt', 5_000, true);
    for (const deadline = Date.now() + 5_000; servers.auth.requests.length < 1 && Date.now() < deadline;) await sleep(5);
    expect(servers.auth.requests.length).toBe(1);
    const killedAt = Date.now();
    await fleet.kill(attempt.member);

    const outcomes = await Promise.all(bursts);
    const survivors = outcomes.filter((outcome) => outcome.member !== attempt.member);
    const doneAt = Math.max(...survivors.map((outcome) => outcome.at));
    const takeover = fleet.eventsNamed('token:attempt').filter((event) => event.member !== attempt.member);
    console.log(
      `${current} takeover: lease taken ≈ ${attempt.at} (member ${attempt.member}), killed ${killedAt - attempt.at} ms later; ` +
        `member(s) [${takeover.map((event) => event.member).join(', ')}] sent the next token request ${takeover.map((event) => event.at - attempt.at).join(', ')} ms after the first; ` +
        `all survivors done ${doneAt - attempt.at} ms after the first attempt (lease TTL ${LEASE_TTL_MS} ms); ${servers.auth.requests.length} token requests`,
    );

    expect(outcomes.find((outcome) => outcome.member === attempt.member)).toHaveProperty('error');
    for (const outcome of survivors) expect(outcome).toHaveProperty('report');
    const sum = total(survivors.flatMap((outcome) => ('report' in outcome ? [outcome.report] : [])));
    expect(sum).toMatchObject({ ok: (FLEET_SIZE - 1) * 20, failed: 0 });
    // The killed member's request and the takeover's: nobody else asked.
    expect(servers.auth.requests.length).toBe(2);
    expect(takeover).toHaveLength(1);
    // The others waited for the lease to expire (it was taken just before the first attempt), and not much longer.
    expect(takeover[0].at - attempt.at).toBeGreaterThanOrEqual(LEASE_TTL_MS - 100);
    expect(doneAt - attempt.at).toBeLessThan(LEASE_TTL_MS + 1_000);
    const issued = fleet.eventsNamed('token:issued');
    expect(issued.filter((event) => event.fields.source === 'endpoint').map((event) => event.member)).toEqual([takeover[0].member]);
    expect(issued.filter((event) => event.fields.source === 'store')).toHaveLength(FLEET_SIZE - 2);
  }, 30_000);

  it(`${current}: Redis stopped mid-run: no request fails (each member fetches alone, says so once); restarted, the fleet shares again`, async () => {
    const { fleet, prefix } = await startFleet(current);
    expect(total(await fleet.all({ command: 'burst', n: 1, path: '/warm' }))).toMatchObject({ ok: FLEET_SIZE, failed: 0 });
    expect(servers.auth.requests.length).toBe(1);

    // The members loop; Redis goes away; the tokens are revoked while it is away, so every member needs a new one.
    const loops = fleet.all({ command: 'loop', ms: 3_000, concurrency: 2, pauseMs: 5, path: '/outage' });
    await sleep(500);
    await redis.stop();
    await sleep(200);
    servers.auth.revokeAll();
    const duringOutage = total(await loops);
    const outageTokenRequests = servers.auth.requests.length - 1;
    const unavailable = fleet.eventsNamed('store:unavailable');
    console.log(
      `${current} Redis outage: ${outageTokenRequests} token requests while Redis was away, store:unavailable per member ${JSON.stringify(perMember(unavailable))}; ` +
        figures(duringOutage),
    );
    expect(duringOutage.failed).toBe(0);
    expect(duringOutage.ok).toBeGreaterThan(FLEET_SIZE * 10);
    expect(perMember(unavailable)).toEqual(new Array(FLEET_SIZE).fill(1));
    // Each member on its own: one token request each at most.
    expect(outageTokenRequests).toBeGreaterThanOrEqual(1);
    expect(outageTokenRequests).toBeLessThanOrEqual(FLEET_SIZE);

    // Back, empty. The clients reconnect within ~50 ms; each member tries the store again 1 s after its last failure.
    await redis.restart();
    const raw = await rawClients.connect(current, redis.url);
    await sleep(1_500);
    const before = servers.auth.requests.length;
    servers.auth.revokeAll();
    const after = total(await fleet.all({ command: 'burst', n: 20, path: '/after-restart' }));
    console.log(
      `${current} after the restart: ${servers.auth.requests.length - before} token request(s) for the burst; ${figures(after)}; ` +
        `store:available per member ${JSON.stringify(perMember(fleet.eventsNamed('store:available')))}`,
    );
    expect(after).toMatchObject({ ok: FLEET_SIZE * 20, failed: 0 });
    expect(servers.auth.requests.length - before).toBe(1);
    expect(perMember(fleet.eventsNamed('store:available'))).toEqual(new Array(FLEET_SIZE).fill(1));
    expect(perMember(fleet.eventsNamed('store:unavailable'))).toEqual(new Array(FLEET_SIZE).fill(1));
    expect(((await raw.command('KEYS', `${prefix}token:*`)) as string[]).length).toBe(1);
  }, 30_000);

  it(`${current}: what Redis holds is not the token in any readable form, and its keys name neither the client id nor the secret`, async () => {
    const { fleet, prefix } = await startFleet(current);
    expect(total(await fleet.all({ command: 'burst', n: 5, path: '/seal' }))).toMatchObject({ ok: FLEET_SIZE * 5, failed: 0 });
    expect(servers.auth.everIssued).toHaveLength(1);
    const token = servers.auth.everIssued[0];
    const raw = await rawClients.connect(current, redis.url);
    // The lease is given back right after the fetch; let that land.
    await sleep(100);
    const keys = ((await raw.command('KEYS', `${prefix}*`)) as string[]).sort();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}token:[\\w-]+$`));

    for (const key of keys) {
      expect(await raw.command('TYPE', key)).toBe('string');
      const value = String(await raw.command('GET', key));
      expect(value).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      // Neither the value as stored nor the bytes of its base64url parts hold the token, its encodings, or any 8 characters of it.
      const decoded = value
        .split('.')
        .slice(1)
        .map((part) => Buffer.from(part, 'base64url').toString('latin1'));
      for (const text of [value, ...decoded]) {
        for (const form of readableForms(token)) expect(text).not.toContain(form);
        expect(text).not.toContain(CLIENT_SECRET);
      }
      const pttl = Number(await raw.command('PTTL', key));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(3_600_000);
      for (const secret of [CLIENT_ID, CLIENT_SECRET, token]) {
        for (const form of readableForms(secret).slice(0, 5)) expect(key).not.toContain(form);
      }
    }
  }, 30_000);

  it(`${current}: renewal ahead of expiry is coordinated: one token request per lifetime for the fleet, no request waits on it`, async () => {
    // Renewal starts once 2 fetch times (≈ 1 s here) before expiry, never in a token's first half: with 5 s
    // tokens, ~one renewal every 3.8 s; a request that waited for one would take at least TOKEN_REQUEST_MS.
    const LIFETIME_S = 5;
    const TOKEN_REQUEST_MS = 500;
    const LOOP_MS = 10_000;
    servers.auth.expiresIn = LIFETIME_S;
    servers.auth.delayMs = TOKEN_REQUEST_MS;
    const answeredAt: number[] = [];
    servers.auth.on('answered', () => answeredAt.push(Date.now()));
    const { fleet } = await startFleet(current);
    const startedAt = Date.now();
    expect(total(await fleet.all({ command: 'burst', n: 1, path: '/warm' }))).toMatchObject({ ok: FLEET_SIZE, failed: 0 });
    const warmEvents = fleet.events.length;

    // Warm: from here on, every request should find a valid token in its process.
    const sum = total(
      await fleet.all({ command: 'loop', ms: LOOP_MS, concurrency: 2, pauseMs: 25, path: '/renewal', slowMs: TOKEN_REQUEST_MS }),
    );
    const elapsedMs = Date.now() - startedAt;
    // A renewal started at the end of the loop is counted once it is done.
    await sleep(TOKEN_REQUEST_MS + 500);
    const lifetimes = Math.ceil(elapsedMs / (LIFETIME_S * 1000));
    const gaps = answeredAt.slice(1).map((at, i) => at - answeredAt[i]);
    const renewals = fleet.eventsNamed('token:issued').filter((event) => event.fields.renewal === true);
    console.log(
      `${current} renewal: ${figures(sum)}; store:unavailable ${fleet.eventsNamed('store:unavailable').length}; ${answeredAt.length} token requests in ${elapsedMs} ms ` +
        `(${lifetimes} lifetimes of ${LIFETIME_S} s), gaps ${gaps.join(', ')} ms; renewals: ${renewals.filter((event) => event.fields.source === 'endpoint').length} fetched, ` +
        `${renewals.filter((event) => event.fields.source === 'store').length} taken from Redis`,
    );

    expect(sum.failed).toBe(0);
    expect(sum.ok).toBeGreaterThan(FLEET_SIZE * 100);
    // No request waited for a token: every fetch after the warm-up was a renewal (nobody waits for those),
    // and no request took as long as a token request.
    const fetchesAfterWarmUp = fleet.events
      .slice(warmEvents)
      .filter((event) => event.name === 'token:attempt' || event.name === 'token:issued');
    expect(fetchesAfterWarmUp.filter((event) => event.fields.renewal !== true)).toEqual([]);
    expect(sum.slow).toEqual([]);
    expect(sum.maxMs).toBeLessThan(TOKEN_REQUEST_MS);
    // One token request per lifetime for the whole fleet, never two close together.
    expect(answeredAt.length).toBeGreaterThanOrEqual(lifetimes - 1);
    expect(answeredAt.length).toBeLessThanOrEqual(lifetimes + 1);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual((LIFETIME_S * 1000) / 2);
    // Every renewal the fleet made came from one member's token request; the others took it from Redis.
    expect(renewals.filter((event) => event.fields.source === 'endpoint')).toHaveLength(answeredAt.length - 1);
    expect(fleet.eventsNamed('token:attempt')).toHaveLength(answeredAt.length);
  }, 40_000);

  // Found by the cold start above: the member that fetched reported 'store:unavailable' about a second
  // after its token arrived, though Redis had answered every command (0 failed): setting off its 200
  // requests kept its event loop busy past operationTimeoutMs, and the timeout timer ran before the
  // reply was read (ioredis), or before the command was even written (node-redis writes in a
  // setImmediate; the `timeout` redisStore gives node-redis then drops the command unsent: a lease
  // release or a token SET lost, the others wait for the lease TTL). A stalled process is not a slow store.
  it(`${current}: this process being busy is not the store timing out (redisStore and the plugin)`, async () => {
    const raw = await rawClients.connect(current, redis.url);
    const prefix = `fleet-test:${randomBytes(6).toString('hex')}:`;
    const store = redisStore(raw.client as never, { operationTimeoutMs: 100, keyPrefix: prefix });
    /** A SET sent just before this process stalls for 3 operation timeouts: sent from a promise continuation, or from a setImmediate callback. */
    const setBeforeStall = async (from: 'continuation' | 'setImmediate') => {
      const key = `${prefix}busy:${from}`;
      const send = () => {
        const pending = store.set(key, 'sent before the stall', 60_000);
        busy(300);
        return { pending };
      };
      const { pending } =
        from === 'continuation' ? send() : await new Promise<{ pending: Promise<void> }>((resolve) => setImmediate(() => resolve(send())));
      const outcome = await pending.then(
        () => 'stored',
        (error: unknown) => String(error),
      );
      return { outcome, inRedis: await raw.command('GET', key) };
    };
    expect(await setBeforeStall('continuation')).toEqual({ outcome: 'stored', inRedis: 'sent before the stall' });
    expect(await setBeforeStall('setImmediate')).toEqual({ outcome: 'stored', inRedis: 'sent before the stall' });

    // The same in the plugin: the lease is given back as the token arrives; a listener (or the requests it
    // lets go) then keeps the process busy longer than the default 250 ms operation timeout.
    const handle = oauth2(servers.newApi(), { ...clientOptions(servers), store: redisStore(raw.client as never) });
    const storeEvents: OAuth2Event[] = [];
    handle.on('store:unavailable', (event) => storeEvents.push(event));
    handle.on('token:issued', () => busy(600));
    await handle.getToken();
    await sleep(300);
    expect(storeEvents).toEqual([]);
  }, 10_000);
});

// Found by the 401 burst and the cold start above (a second token request now and then, with no store
// failure): a member looks at the store (nothing yet), the lease holder then stores its token and gives
// the lease back, and the member takes the free lease and fetches again. Here in one process, with the
// member's look answered late on purpose.
describeOnce(
  'a member whose look at the store was answered late, after the lease holder had stored its token and given the lease back',
  () => {
    const servers = useServers({ expiresIn: 3600 });

    it('takes that token: one token request', async () => {
      const shared = memoryStore({ pollIntervalMs: 10, operationTimeoutMs: 2_000 });
      const leaseHeld = () => [...shared.values.keys()].some((key) => key.includes(':lease:'));
      // The holder's token request is held until the member's look is under way.
      let releaseHolder!: () => void;
      let tokenRequests = 0;
      servers.auth.override = () =>
        ++tokenRequests === 1 ? new Promise<boolean>((resolve) => (releaseHolder = () => resolve(false))) : false;
      let lookingLate = false;
      const lateView: TokenStore = {
        ...shared,
        async get(key) {
          const found = await shared.get(key);
          if (found === undefined && leaseHeld() && !lookingLate) {
            // What it found (nothing) arrives once the holder has stored its token and given the lease back.
            lookingLate = true;
            await until(() => !leaseHeld());
          }
          return found;
        },
      };
      const holder = oauth2(servers.newApi(), { ...clientOptions(servers), store: shared });
      const member = oauth2(servers.newApi(), { ...clientOptions(servers), store: lateView });

      const holderToken = holder.getToken();
      await until(() => servers.auth.requests.length === 1);
      const memberToken = member.getToken();
      await until(() => lookingLate);
      releaseHolder();

      const [fromHolder, fromMember] = await Promise.all([holderToken, memberToken]);
      expect(servers.auth.requests.length).toBe(1);
      expect(fromMember).toBe(fromHolder);
    });
  },
);
