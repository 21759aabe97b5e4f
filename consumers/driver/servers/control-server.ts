import type http from 'node:http';
import { listenOnLoopback, sendJson, type Listening } from '../../../examples/servers/listen';
import type { AuthorizationServer } from '../../../examples/servers/authorization-server';

/**
 * What the apps use to drive the authorization server mid-scenario: revoke every token,
 * and read how many token requests it has received so far. Apps call it with fetch, so
 * no axios interceptor is involved.
 */
export class ControlServer {
  #listening: Listening | undefined;

  constructor(private readonly authorizationServer: AuthorizationServer) {}

  get origin(): string {
    if (!this.#listening) throw new Error('control server not started');
    return this.#listening.url;
  }

  async start(): Promise<this> {
    this.#listening = await listenOnLoopback((req, res) => this.#handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await this.#listening?.close();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    if (req.method === 'POST' && req.url === '/revoke-all') {
      this.authorizationServer.revokeAll();
      return sendJson(res, 200, { revoked: true });
    }
    if (req.method === 'GET' && req.url === '/token-requests') {
      return sendJson(res, 200, { count: this.authorizationServer.requests.length });
    }
    sendJson(res, 404, { error: 'not found' });
  }
}
