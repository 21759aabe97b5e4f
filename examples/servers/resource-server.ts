import type http from 'node:http';
import { EventEmitter } from 'node:events';
import { listenOnLoopback, readBody, sendJson, type Listening } from './listen';

/** One request as the protected API received it. */
export interface ReceivedResourceRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The status the server answered. */
  status: number;
  /** The RFC 6750 §3.1 error code of a 401 challenge. */
  error?: string;
}

/**
 * A protected API on loopback: answers 200 with a small JSON body when the bearer token
 * is valid, else 401 with an RFC 6750 §3 challenge. Records every request it receives, and
 * emits 'answered' with each record.
 */
export class ResourceServer extends EventEmitter {
  readonly requests: ReceivedResourceRequest[] = [];
  /** When true, every request is answered 401, valid token or not. */
  alwaysUnauthorized = false;
  /** When false, requests are not recorded (long benchmark runs). */
  record = true;
  #listening: Listening | undefined;
  readonly #isValid: (token: string) => boolean;

  constructor(isValid: (token: string) => boolean) {
    super();
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
    const record: ReceivedResourceRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status };
    if (!authorized) record.error = 'invalid_token';
    if (this.record) this.requests.push(record);
    this.emit('answered', record);
    if (!authorized) {
      sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'X-Reason': 'token refused' });
      return;
    }
    sendJson(res, 200, { ok: true, path: req.url });
  }
}
