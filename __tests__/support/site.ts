import type http from 'node:http';
import { listenOnLoopback, readBody, sendJson, type Listening } from '../../examples/servers/listen';

/** One request a Site received. */
export interface SiteRequest {
  method: string;
  host: string;
  url: string;
  authorization: string | undefined;
  body: Buffer;
  status: number;
}

/**
 * A loopback web site for confinement tests: `/redirect?to=URL` answers 302 to URL; any
 * other path answers 200 when `accepts(token)` holds for the request's bearer token, else
 * 401. Requests whose Host is a subdomain (`x.localhost`) are always answered 401. Every
 * request is recorded with the Host it named.
 */
export class Site {
  readonly requests: SiteRequest[] = [];
  #listening: Listening | undefined;

  constructor(private readonly accepts: (token: string) => boolean) {}

  /** The site's URL by IP, `http://127.0.0.1:port`. */
  get url(): string {
    if (!this.#listening) throw new Error('site not started');
    return this.#listening.url;
  }

  /** The same site by name: `http://localhost:port`, or `http://<sub>.localhost:port`. */
  named(subdomain?: string): string {
    const { port } = new URL(this.url);
    return `http://${subdomain === undefined ? '' : `${subdomain}.`}localhost:${port}`;
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
    const url = new URL(req.url ?? '/', 'http://site.invalid');
    const host = req.headers.host ?? '';
    const authorization = req.headers.authorization;
    const record = (status: number): void => {
      this.requests.push({ method: req.method ?? '', host, url: req.url ?? '', authorization, body, status });
    };
    const target = url.searchParams.get('to');
    if (url.pathname === '/redirect' && target !== null) {
      record(302);
      res.writeHead(302, { Location: target, 'Content-Length': 0 });
      return void res.end();
    }
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const isSubdomain = /^[^.:]+\.localhost(:\d+)?$/.test(host);
    const status = !isSubdomain && token !== undefined && this.accepts(token) ? 200 : 401;
    record(status);
    sendJson(res, status, status === 200 ? { ok: true } : { error: 'invalid_token' });
  }
}
