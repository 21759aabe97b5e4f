import type http from 'node:http';
import { listenOnLoopback, readBody, sendJson, type Listening } from '../../../examples/servers/listen';

/** One request as the foreign origin received it. */
export interface ForeignRecord {
  host: string;
  path: string;
  call: string | null;
  authorization: string | undefined;
}

/**
 * Another origin (127.0.0.1, another port) that must never see the token. It answers 401
 * to everything, as a third-party API would answer a token that is not its own, so that
 * a plugin that takes any 401 for its own would refresh and replay here.
 */
export class ForeignServer {
  readonly records: ForeignRecord[] = [];
  #listening: Listening | undefined;

  get origin(): string {
    if (!this.#listening) throw new Error('foreign server not started');
    return this.#listening.url;
  }

  async start(): Promise<this> {
    this.#listening = await listenOnLoopback((req, res) => void this.#handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await this.#listening?.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await readBody(req);
    const url = new URL(req.url ?? '/', 'http://request.invalid');
    this.records.push({ host: req.headers.host ?? '', path: url.pathname, call: url.searchParams.get('call'), authorization: req.headers.authorization });
    sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
}
