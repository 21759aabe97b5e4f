import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { listenOnLoopback, sendJson, type Listening } from '../examples/servers/listen';
import { oauth2 } from '../lib';
import { createTokenAgents, type TokenAgents } from '../lib/token/agents';
import { Liveness } from '../lib/token/liveness';

/** Node's Agent keeps its `keepAlive` option as a property that its typings leave out. */
const keepsAlive = (agent: http.Agent | undefined) => (agent as unknown as { keepAlive?: boolean } | undefined)?.keepAlive;

/**
 * The agents the token requests go through: kept alive, so a renewal does not pay for a
 * new TCP (and TLS) handshake with the authorization server each time.
 */
describe('the token requests’ own agents', () => {
  let endpoint: Listening;
  const ports: number[] = [];

  beforeEach(async () => {
    ports.length = 0;
    let issued = 0;
    endpoint = await listenOnLoopback((req, res) => {
      ports.push(req.socket.remotePort ?? -1);
      req.resume();
      req.on('end', () => {
        issued += 1;
        sendJson(res, 200, { access_token: `token-${String(issued)}`, token_type: 'Bearer', expires_in: 3600 });
      });
    });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  it('consecutive token requests reuse one keep-alive connection to the token endpoint', async () => {
    const auth = oauth2(axios.create(), { tokenEndpoint: `${endpoint.url}/token`, clientId: 'billing', clientSecret: 'secret-1' });
    expect(await auth.getToken()).toBe('token-1');
    expect(await auth.getToken({ forceRefresh: true })).toBe('token-2');
    expect(await auth.getToken({ forceRefresh: true })).toBe('token-3');
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
    auth.eject();
  });

  it('both pairs keep connections alive: the one callers wait for and the one of background renewals', () => {
    const agents = createTokenAgents({});
    const foreground = agents(new Liveness(true));
    const background = agents(new Liveness(false));
    for (const options of [foreground, background]) {
      expect(options.httpAgent).toBeInstanceOf(http.Agent);
      expect(options.httpsAgent).toBeInstanceOf(https.Agent);
      expect(keepsAlive(options.httpAgent)).toBe(true);
      expect(keepsAlive(options.httpsAgent)).toBe(true);
    }
    expect(background.httpAgent).not.toBe(foreground.httpAgent);
    expect(background.httpsAgent).not.toBe(foreground.httpsAgent);
    // The same pair every time, so connections are pooled across token requests.
    expect(agents(new Liveness(true))).toEqual(foreground);
    expect(agents(new Liveness(false)).httpAgent).toBe(background.httpAgent);
  });

  it('the backend’s own agent for a protocol wins; ours serve only the protocol it left out', () => {
    const appHttps = new https.Agent({ keepAlive: false });
    const agents = createTokenAgents({ httpsAgent: appHttps });
    for (const liveness of [new Liveness(true), new Liveness(false)]) {
      const options = agents(liveness);
      expect(options.httpAgent).toBeInstanceOf(http.Agent);
      expect('httpsAgent' in options).toBe(false);
    }
    appHttps.destroy();
  });

  it('a background renewal’s connection keeps the process alive only once a caller waits for it, new or reused', async () => {
    // Sockets that keep the event loop alive, this process's client and server sides alike.
    const liveSockets = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
    let arrived = () => {};
    let answer = () => {};
    const held = await listenOnLoopback((req, res) => {
      req.resume();
      answer = () => res.end('ok');
      arrived();
    });
    /** Sends one request; how many more sockets keep the process alive once it arrived, and once a caller waits. */
    const send = async (agents: TokenAgents, liveness: Liveness, { waitedBeforeSending = false } = {}) => {
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const agent = agents(liveness).httpAgent;
      if (waitedBeforeSending) liveness.hold();
      const before = liveSockets();
      const done = new Promise<void>((resolve, reject) => {
        http.get(held.url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
      await received;
      const whileUnwaited = liveSockets();
      liveness.hold();
      const onceWaited = liveSockets();
      answer();
      await done;
      return { sent: whileUnwaited - before, waited: onceWaited - whileUnwaited };
    };
    // Let the connections of earlier tests finish closing (they would count): until the count holds for 100 ms.
    for (let last = -1, steady = 0; steady < 5; steady = liveSockets() === last ? steady + 1 : 0, last = liveSockets()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try {
      const agents = createTokenAgents({});
      // A new connection: only the server's side is live until a caller waits.
      expect(await send(agents, new Liveness(false))).toEqual({ sent: 1, waited: 1 });
      // The same connection reused: unref'd again until a caller waits.
      expect(await send(agents, new Liveness(false))).toEqual({ sent: 0, waited: 1 });
      // A caller waits from the start: a connection of the other pair, live all along.
      expect(await send(agents, new Liveness(true))).toEqual({ sent: 2, waited: 0 });
      // Background again after a held request: unref'd again.
      expect(await send(agents, new Liveness(false))).toEqual({ sent: 0, waited: 1 });
      // A caller starts waiting after the agent was chosen but before the request is sent:
      // the reused connection is live at once, and so is a new one.
      expect(await send(agents, new Liveness(false), { waitedBeforeSending: true })).toEqual({ sent: 1, waited: 0 });
      expect(await send(createTokenAgents({}), new Liveness(false), { waitedBeforeSending: true })).toEqual({ sent: 2, waited: 0 });
    } finally {
      await held.close();
    }
  });
});
