import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLIENT_ID, CLIENT_SECRET, useServers } from './support/servers';

/**
 * Nothing the plugin starts in the background keeps the event loop alive, and nothing a
 * request waits for lets it end early. 4 s tokens: renewal starts between 3.8 s and 3.9 s
 * after the token was requested; it expires at 3.9 s.
 */
describe('a script and the background renewal its request starts', () => {
  const servers = useServers({ expiresIn: 4 });

  /** Runs the fixture script; resolves with when it printed `done` (if it did) and when it exited. */
  async function runScript(requestsAtMs: number[]): Promise<{ doneAt: number; exitedAt: number }> {
    const script = path.join(__dirname, 'fixtures', 'last-request-in-renewal-window.ts');
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', script], {
      env: { ...process.env, AUTH_ENDPOINT: servers.auth.tokenEndpoint, API_URL: servers.api.url, CLIENT_ID, CLIENT_SECRET, REQUESTS_AT_MS: requestsAtMs.join(',') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill(), 15_000);
    const exitedAt = await new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
    clearTimeout(killer);
    return { doneAt: Number(/done (\d+)/.exec(output)?.[1]), exitedAt };
  }

  it('exits promptly after its last request, though the token endpoint hangs on the renewal it started', async () => {
    let calls = 0;
    // The first token request is answered; the renewal is never answered.
    servers.auth.override = () => ++calls > 1;
    const { doneAt, exitedAt } = await runScript([3_840]);
    expect(Number.isFinite(doneAt)).toBe(true);
    expect(calls).toBe(2);
    expect(exitedAt - doneAt).toBeLessThan(1_500);
  }, 20_000);

  it('does not exit under a request that waits for that renewal', async () => {
    let calls = 0;
    // The renewal takes 700 ms: the second request, after expiry, waits for it.
    servers.auth.override = async () => {
      if (++calls > 1) await new Promise((resolve) => setTimeout(resolve, 700));
      return false;
    };
    const { doneAt } = await runScript([3_840, 4_100]);
    expect(Number.isFinite(doneAt)).toBe(true);
    expect(calls).toBe(2);
    expect(servers.api.requests.map((r) => [r.url, r.status])).toEqual([
      ['/at-3840', 200],
      ['/at-4100', 200],
    ]);
  }, 20_000);
});
