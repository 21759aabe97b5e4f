import type http from 'node:http';
import { listenOnLoopback, readBody, sendJson, type Listening } from './listen';

/** One request as the protected API received it. */
export interface ReceivedResourceRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The status the server answered. */
  status: number;
}

/**
 * A protected API on loopback: answers 200 with a small JSON body when the bearer token
 * is valid, else 401 with an RFC 6750 §3 challenge. Records every request it receives.
 */
export class ResourceServer {
  readonly requests: ReceivedResourceRequest[] = [];
  /** When true, every request is answered 401, valid token or not. */
  alwaysUnauthorized = false;
  /** When false, requests are not recorded (long benchmark runs). */
  record = true;
  #listening: Listening | undefined;
  readonly #isValid: (token: string) => boolean;

  constructor(isValid: (token: string) => boolean) {
    this.#isValid = isValid;
  }

  get url(): string {
    if (!this.#listening) throw new Error('resource server not started');
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
    const body = await readBody(req);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authorized = !this.alwaysUnauthorized && token !== undefined && this.#isValid(token);
    const status = authorized ? 200 : 401;
    if (this.record) {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status });
    }
    if (!authorized) {
      return sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'X-Reason': 'token refused' });
    }
    sendJson(res, 200, { ok: true, path: req.url });
  }
}
