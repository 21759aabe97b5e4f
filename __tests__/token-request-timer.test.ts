import axios from 'axios';
import { listenOnLoopback, type Listening } from '../examples/servers/listen';
import { oauth2, TokenTimeoutError } from '../lib';
import { resolveOptions } from '../lib/options';
import { Liveness } from '../lib/token/liveness';
import { createTokenFetcher } from '../lib/token/request';

/**
 * The token request's own deadline: one timer over the whole exchange (axios' timeout
 * alone restarts with every byte), which keeps the process alive only while a caller
 * waits for the token.
 */
describe('the token request’s deadline', () => {
  let endpoint: Listening;
  let answer: (() => void) | undefined;
  let arrived: () => void = () => undefined;

  beforeEach(async () => {
    answer = undefined;
    endpoint = await listenOnLoopback((req, res) => {
      req.resume();
      if (req.url === '/trickle') {
        // A byte every 20 ms, forever: never silent for as long as the timeout.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const drip = setInterval(() => res.write(' '), 20);
        res.on('close', () => clearInterval(drip));
        return;
      }
      answer = () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"abc","token_type":"Bearer"}');
      arrived();
    });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  const options = (path: string, timeout: number) => ({
    tokenEndpoint: `${endpoint.url}${path}`,
    clientId: 'billing',
    clientSecret: 'secret-1',
    tokenRetry: false as const,
    backend: { timeout },
  });

  it('bounds the whole exchange: a server that trickles bytes times out after `timeout`', async () => {
    const auth = oauth2(axios.create(), options('/trickle', 150));
    const started = performance.now();
    await expect(auth.getToken()).rejects.toBeInstanceOf(TokenTimeoutError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('keeps the process alive for a background request only once a caller waits for it', async () => {
    // Timers that keep the event loop alive.
    const liveTimers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const { fetchToken } = createTokenFetcher(resolveOptions(options('/token', 60_000)));
    /** How many more timers keep the process alive the moment a caller starts waiting. */
    const madeLiveByWaiting = async (liveness: Liveness) => {
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const fetched = fetchToken(liveness);
      await received;
      const unwaited = liveTimers();
      liveness.hold();
      const waited = liveTimers();
      answer?.();
      await expect(fetched).resolves.toMatchObject({ accessToken: 'abc' });
      return waited - unwaited;
    };
    expect(await madeLiveByWaiting(new Liveness(false))).toBe(1);
    // A request a caller waits for from the start: its timer was live all along.
    expect(await madeLiveByWaiting(new Liveness(true))).toBe(0);
  });

  it('a backend timeout of 0 (axios: none) gives the default deadline, not an immediate one', async () => {
    const auth = oauth2(axios.create(), options('/token', 0));
    const received = new Promise<void>((resolve) => (arrived = resolve));
    const token = auth.getToken();
    // An immediate deadline would reject before the server answers: wait for whichever comes first.
    await Promise.race([received, token.catch(() => undefined)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer?.();
    await expect(token).resolves.toBe('abc');
  });
});
