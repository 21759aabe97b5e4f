import { createHash } from 'node:crypto';
import type http from 'node:http';
import { listenOnLoopback, readBody, sendJson, type Listening } from '../../../examples/servers/listen';

/** One request as the API received it. */
export interface ApiRecord {
  /** The Host header: `localhost:<port>`, or `evil.localhost:<port>` after the subdomain redirect. */
  host: string;
  method: string;
  path: string;
  /** The `call` query parameter every scenario request carries. */
  call: string | null;
  authorization: string | undefined;
  headers: http.IncomingHttpHeaders;
  bodySha256: string;
  bodyLength: number;
  status: number;
}

/** The hostname of a Host header value (without the port). */
export function hostnameOf(host: string): string {
  return host.replace(/:\d+$/, '').toLowerCase();
}

/**
 * The protected API, at http://localhost:<port> (bound to 127.0.0.1). Routes:
 *
 * - `/echo`: 200 with what it received (headers, the body's sha256) for a valid bearer
 *   token, else 401;
 * - `/always-401`: 401 whatever the token, so replays run out;
 * - `/redirect/foreign`: 302 to the foreign origin's `/landing`;
 * - `/redirect/subdomain`: 302 to http://evil.localhost:<same port>/landing.
 *
 * A request whose Host is anything but `localhost` (evil.localhost) is another host that
 * happens to share the port: it is recorded and answered 401, never served.
 * The query string travels with each redirect, so the `call` tag follows the request.
 */
export class ApiServer {
  readonly records: ApiRecord[] = [];
  #listening: Listening | undefined;

  constructor(
    private readonly isValidToken: (token: string) => boolean,
    private readonly foreignOrigin: () => string,
  ) {}

  get port(): number {
    if (!this.#listening) throw new Error('API server not started');
    return Number(new URL(this.#listening.url).port);
  }

  /** What clients use: `localhost`, so that `evil.localhost` is a subdomain of it. */
  get origin(): string {
    return `http://localhost:${this.port}`;
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
    const host = req.headers.host ?? '';
    const url = new URL(req.url ?? '/', 'http://request.invalid');
    const record: ApiRecord = {
      host,
      method: req.method ?? '',
      path: url.pathname,
      call: url.searchParams.get('call'),
      authorization: req.headers.authorization,
      headers: req.headers,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      bodyLength: body.length,
      status: 0,
    };
    this.records.push(record);
    const answer = (status: number, payload: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
      record.status = status;
      sendJson(res, status, payload, headers);
    };
    const refuse = (): void => answer(401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const redirect = (location: string): void => answer(302, { location }, { Location: location });

    if (hostnameOf(host) !== 'localhost') return refuse();
    switch (url.pathname) {
      case '/redirect/foreign':
        return redirect(`${this.foreignOrigin()}/landing${url.search}`);
      case '/redirect/subdomain':
        return redirect(`http://evil.localhost:${this.port}/landing${url.search}`);
      case '/always-401':
        return refuse();
      case '/echo': {
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (token === undefined || !this.isValidToken(token)) return refuse();
        return answer(200, { method: record.method, headers: req.headers, bodySha256: record.bodySha256, bodyLength: record.bodyLength });
      }
      default:
        return answer(404, { error: 'not found' });
    }
  }
}
