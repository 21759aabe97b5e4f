import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { listenOnLoopback, readBody, sendJson, type Listening } from './listen';

/** One token request as the server received and decoded it. */
export interface ReceivedTokenRequest {
  method: string;
  headers: http.IncomingHttpHeaders;
  /** The raw form body. */
  body: string;
  params: URLSearchParams;
  /** The client id and secret the server decoded, and from where. */
  credentials?: { clientId: string; clientSecret: string; via: 'basic' | 'post' };
  /** How it was answered, once it has been: the status, the token issued, or the RFC 6749 §5.2 error. */
  answer?: { status: number; token?: string; expiresIn?: number; error?: string };
}

export interface AuthorizationServerOptions {
  /** Registered clients: id → secret. */
  clients: Record<string, string>;
  /** `expires_in` of issued tokens in seconds; `undefined` omits it. Default 3600. */
  expiresIn?: number;
  /** Delay before answering, in ms. Default 0. */
  delayMs?: number;
}

/**
 * A small OAuth2 authorization server for the client-credentials grant (RFC 6749 §4.4)
 * on loopback. It decodes client credentials strictly per RFC 6749 §2.3.1 (Basic with
 * form-urlencoded id and secret, or form parameters), counts what it receives, and lets
 * a test or the demo revoke tokens or take over the answer to inject faults. Emits
 * 'answered' with the ReceivedTokenRequest once each answer has been sent.
 */
export class AuthorizationServer extends EventEmitter {
  readonly requests: ReceivedTokenRequest[] = [];
  /** Tokens that are currently valid. */
  readonly issued = new Set<string>();
  /** Every token ever issued, revoked or not. */
  readonly everIssued: string[] = [];
  /** Set to answer token requests yourself (fault injection). Return true when you answered. */
  override: ((req: http.IncomingMessage, res: http.ServerResponse, received: ReceivedTokenRequest) => boolean | Promise<boolean>) | undefined;
  expiresIn: number | undefined;
  delayMs: number;
  #listening: Listening | undefined;
  readonly #clients: Map<string, string>;

  constructor(options: AuthorizationServerOptions) {
    super();
    this.#clients = new Map(Object.entries(options.clients));
    this.expiresIn = 'expiresIn' in options ? options.expiresIn : 3600;
    this.delayMs = options.delayMs ?? 0;
  }

  get url(): string {
    if (!this.#listening) throw new Error('authorization server not started');
    return this.#listening.url;
  }

  get tokenEndpoint(): string {
    return `${this.url}/oauth2/token`;
  }

  async start(): Promise<this> {
    this.#listening = await listenOnLoopback((req, res) => void this.#handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await this.#listening?.close();
  }

  /** Closes the port, so connections are refused, until `restart()` opens the same port again. */
  async goDown(): Promise<void> {
    await this.#listening?.close();
  }

  async restart(): Promise<void> {
    const port = Number(new URL(this.url).port);
    this.#listening = await listenOnLoopback((req, res) => void this.#handle(req, res), port);
  }

  registerClient(clientId: string, clientSecret: string): void {
    this.#clients.set(clientId, clientSecret);
  }

  isValid(token: string): boolean {
    return this.issued.has(token);
  }

  /** Revokes every token issued so far. */
  revokeAll(): void {
    this.issued.clear();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const params = new URLSearchParams(body);
    const received: ReceivedTokenRequest = { method: req.method ?? '', headers: req.headers, body, params };
    this.requests.push(received);
    let answer: ReceivedTokenRequest['answer'];
    res.once('finish', () => {
      received.answer = { ...answer, status: res.statusCode };
      this.emit('answered', received);
    });
    const refuse = (status: number, error: string, description?: string, headers: http.OutgoingHttpHeaders = {}): void => {
      answer = { status, error };
      sendJson(res, status, description === undefined ? { error } : { error, error_description: description }, headers);
    };
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    try {
      received.credentials = decodeClientCredentials(req.headers.authorization, params);
    } catch {
      return refuse(400, 'invalid_request', 'malformed client credentials');
    }
    if (this.override && (await this.override(req, res, received))) return;
    if (req.method !== 'POST' || req.url !== '/oauth2/token') {
      return refuse(404, 'invalid_request', 'not found');
    }
    if (params.get('grant_type') !== 'client_credentials') {
      return refuse(400, 'unsupported_grant_type');
    }
    const { credentials } = received;
    if (credentials === undefined || this.#clients.get(credentials.clientId) !== credentials.clientSecret) {
      // RFC 6749 §5.2: 401 with a challenge when the client used the Authorization header.
      const challenge = credentials?.via === 'basic' ? { 'WWW-Authenticate': 'Basic realm="token"' } : {};
      return refuse(401, 'invalid_client', 'client authentication failed', challenge);
    }
    const token = randomBytes(24).toString('base64url');
    this.issued.add(token);
    this.everIssued.push(token);
    answer = { status: 200, token, expiresIn: this.expiresIn };
    const tokenResponse: Record<string, unknown> = { access_token: token, token_type: 'Bearer' };
    if (this.expiresIn !== undefined) tokenResponse.expires_in = this.expiresIn;
    const scope = params.get('scope');
    if (scope) tokenResponse.scope = scope;
    sendJson(res, 200, tokenResponse, { 'Cache-Control': 'no-store' });
  }
}

/**
 * RFC 6749 §2.3.1: Basic credentials are base64 of `urlencoded(id) ":" urlencoded(secret)`;
 * split at the first colon (an encoded id has none), then form-decode each part.
 */
export function decodeClientCredentials(
  authorization: string | undefined,
  params: URLSearchParams,
): ReceivedTokenRequest['credentials'] {
  if (authorization !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(authorization);
    if (!match) throw new Error('not Basic');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error('no colon');
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)), via: 'basic' };
  }
  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (clientId === null || clientSecret === null) return undefined;
  return { clientId, clientSecret, via: 'post' };
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
