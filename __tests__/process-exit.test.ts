import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLIENT_ID, CLIENT_SECRET, useServers } from './support/servers';

/**
 * Nothing the plugin starts in the background keeps the event loop alive, and nothing a
 * request waits for lets it end early. 4 s tokens whose first token request takes 1 s:
 * the token expires 3.9 s after that request was sent, and renewal starts 1.95 s before
 * that (twice the fetch time, capped at half the lifetime), so the script's requests at
 * 1.5 s after it got the token fall well inside the renewal window, even on a busy machine.
 */
describe('a script and the background renewal its request starts', () => {
  const servers = useServers({ expiresIn: 4 });

  /** Runs the fixture script; resolves with when it printed `done` (if it did) and when it exited. */
  async function runScript(requestsAtMs: number[]): Promise<{ doneAt: number; exitedAt: number }> {
    const script = path.join(__dirname, 'fixtures', 'last-request-in-renewal-window.ts');
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', script], {
      env: {
        ...process.env,
        AUTH_ENDPOINT: servers.auth.tokenEndpoint,
        API_URL: servers.api.url,
        CLIENT_ID,
        CLIENT_SECRET,
        REQUESTS_AT_MS: requestsAtMs.join(','),
      },
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
    // The first token request is answered after 1 s; the renewal is never answered.
    servers.auth.override = async () => {
      if (++calls > 1) return true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return false;
    };
    const { doneAt, exitedAt } = await runScript([1_500]);
    expect(Number.isFinite(doneAt)).toBe(true);
    expect(calls).toBe(2);
    expect(exitedAt - doneAt).toBeLessThan(1_500);
  }, 20_000);

  it('does not exit under a request that waits for that renewal', async () => {
    let calls = 0;
    // The first token request takes 1 s, the renewal 2.5 s: the second request, sent after
    // the token expired (2.9 s after the script got it) and before the renewal is answered
    // (4 s), waits for it.
    servers.auth.override = async () => {
      await new Promise((resolve) => setTimeout(resolve, ++calls > 1 ? 2_500 : 1_000));
      return false;
    };
    const { doneAt } = await runScript([1_500, 3_300]);
    expect(Number.isFinite(doneAt)).toBe(true);
    // The renewal's own token arrives inside its renewal window (it took 2.5 s of 4), so the
    // second request may start one more renewal in the background.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(servers.api.requests.map((r) => [r.url, r.status])).toEqual([
      ['/at-1500', 200],
      ['/at-3300', 200],
    ]);
  }, 20_000);
});
