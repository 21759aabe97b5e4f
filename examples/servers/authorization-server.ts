import type http from 'node:http';
import { createPublicKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
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
  /** The client assertion (RFC 7523 §2.2), once the server verified it: the method it proved, its header and claims. */
  assertion?: { clientId: string; method: 'client_secret_jwt' | 'private_key_jwt'; header: JWTHeaderParameters; claims: JWTPayload };
  /**
   * The grant, once the server accepted it: its type, the user of a password grant, the
   * verified claims of a jwt-bearer assertion (RFC 7523 §3), and whether the client
   * authenticated (a jwt-bearer request may come without client authentication).
   */
  grant?: { type: string; username?: string; claims?: JWTPayload; clientAuthenticated: boolean };
  /** How it was answered, once it has been: the status, the token issued, or the RFC 6749 §5.2 error. */
  answer?: { status: number; token?: string; expiresIn?: number; error?: string };
}

export interface AuthorizationServerOptions {
  /** Registered clients: id → secret. */
  clients: Record<string, string>;
  /** Resource owners for the password grant (RFC 6749 §4.3): username → password. Default none. */
  users?: Record<string, string>;
  /** `expires_in` of issued tokens in seconds; `undefined` omits it. Default 3600. */
  expiresIn?: number;
  /** Delay before answering, in ms. Default 0. */
  delayMs?: number;
}

/** RFC 7523 §2.2. */
const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** draft-ietf-oauth-rfc7523bis: the `typ` of an assertion whose audience is the issuer. */
const CLIENT_AUTHENTICATION_JWT_TYPE = 'client-authentication+jwt';
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GRANT_TYPES = ['client_credentials', 'password', JWT_BEARER_GRANT];

/**
 * A small OAuth2 authorization server on loopback for the client-credentials grant (RFC
 * 6749 §4.4), the password grant (§4.3, users registered by `registerUser`; a wrong
 * password is `invalid_grant`) and the jwt-bearer grant (RFC 7523 §2.1: the assertion
 * verified with the key of its issuer, registered by `registerAssertionIssuer`; `aud` the
 * token endpoint or the issuer, `exp` in the future, a `jti` never seen before when it has
 * one; client authentication optional, RFC 7523 §3.1). It decodes client credentials strictly per RFC 6749 §2.3.1 (Basic with
 * form-urlencoded id and secret, or form parameters), and verifies JWT client assertions
 * (RFC 7523 §3: `client_secret_jwt` with the registered secret, `private_key_jwt` with a
 * public key registered by `registerClientKey`; `iss` = `sub` = client id, `aud` the
 * token endpoint or the issuer (then `typ: client-authentication+jwt`), `exp` in the
 * future, `jti` never seen before), counts what it receives, and lets
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
  override:
    ((req: http.IncomingMessage, res: http.ServerResponse, received: ReceivedTokenRequest) => boolean | Promise<boolean>) | undefined;
  expiresIn: number | undefined;
  delayMs: number;
  #listening: Listening | undefined;
  readonly #clients: Map<string, string>;
  readonly #clientKeys = new Map<string, KeyObject>();
  readonly #users: Map<string, string>;
  /** Issuers trusted for jwt-bearer grant assertions: `iss` → public key. */
  readonly #assertionIssuers = new Map<string, KeyObject>();
  /** `jti`s of the grant assertions accepted so far. */
  readonly #seenGrantJtis = new Set<string>();
  /** `jti`s of the assertions accepted so far (RFC 7523 §3 item 7: no replay). */
  readonly #seenJtis = new Set<string>();

  constructor(options: AuthorizationServerOptions) {
    super();
    this.#clients = new Map(Object.entries(options.clients));
    this.#users = new Map(Object.entries(options.users ?? {}));
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

  /** The issuer identifier (RFC 8414): the server's base URL. */
  get issuer(): string {
    return this.url;
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

  /** Registers the public key that verifies a client's `private_key_jwt` assertions (a private key is reduced to its public half). */
  registerClientKey(clientId: string, key: KeyObject | JsonWebKey): void {
    this.#clientKeys.set(clientId, toPublicKey(key));
  }

  /** Registers a resource owner for the password grant. */
  registerUser(username: string, password: string): void {
    this.#users.set(username, password);
  }

  /** Trusts `issuer` for jwt-bearer grant assertions, verified with `key` (a private key is reduced to its public half). */
  registerAssertionIssuer(issuer: string, key: KeyObject | JsonWebKey): void {
    this.#assertionIssuers.set(issuer, toPublicKey(key));
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
      refuse(400, 'invalid_request', 'malformed client credentials');
      return;
    }
    if (this.override && (await this.override(req, res, received))) return;
    if (req.method !== 'POST' || req.url !== '/oauth2/token') {
      refuse(404, 'invalid_request', 'not found');
      return;
    }
    const grantType = params.get('grant_type') ?? '';
    if (!GRANT_TYPES.includes(grantType)) {
      refuse(400, 'unsupported_grant_type');
      return;
    }
    let clientAuthenticated = true;
    if (params.has('client_assertion') || params.has('client_assertion_type')) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
      if (received.credentials !== undefined || req.headers.authorization !== undefined) {
        refuse(400, 'invalid_request', 'more than one client authentication method');
        return;
      }
      const verified = await this.#verifyClientAssertion(params);
      if (typeof verified === 'string') {
        refuse(401, 'invalid_client', verified);
        return;
      }
      received.assertion = verified;
    } else if (received.credentials === undefined && grantType === JWT_BEARER_GRANT && !params.has('client_secret')) {
      // RFC 7523 §3.1: client authentication is optional with the jwt-bearer grant.
      clientAuthenticated = false;
    } else {
      const { credentials } = received;
      if (credentials === undefined || this.#clients.get(credentials.clientId) !== credentials.clientSecret) {
        // RFC 6749 §5.2: 401 with a challenge when the client used the Authorization header.
        const challenge = credentials?.via === 'basic' ? { 'WWW-Authenticate': 'Basic realm="token"' } : {};
        refuse(401, 'invalid_client', 'client authentication failed', challenge);
        return;
      }
    }
    if (grantType === 'password') {
      const username = params.get('username');
      const password = params.get('password');
      if (username === null || password === null) {
        refuse(400, 'invalid_request', 'username and password are required');
        return;
      }
      // RFC 6749 §5.2: invalid resource owner credentials are invalid_grant.
      if (!this.#users.has(username) || this.#users.get(username) !== password) {
        refuse(400, 'invalid_grant', 'invalid resource owner credentials');
        return;
      }
      received.grant = { type: grantType, username, clientAuthenticated };
    } else if (grantType === JWT_BEARER_GRANT) {
      const verified = await this.#verifyGrantAssertion(params.get('assertion'));
      // RFC 7523 §3.1: an assertion that is not valid is invalid_grant.
      if (typeof verified === 'string') {
        refuse(400, 'invalid_grant', verified);
        return;
      }
      received.grant = { type: grantType, claims: verified, clientAuthenticated };
    } else {
      received.grant = { type: grantType, clientAuthenticated };
    }
    this.#issue(res, params, (issued) => (answer = issued));
  }

  #issue(res: http.ServerResponse, params: URLSearchParams, record: (answer: ReceivedTokenRequest['answer']) => void): void {
    const token = randomBytes(24).toString('base64url');
    this.issued.add(token);
    this.everIssued.push(token);
    record({ status: 200, token, expiresIn: this.expiresIn });
    const tokenResponse: Record<string, unknown> = { access_token: token, token_type: 'Bearer' };
    if (this.expiresIn !== undefined) tokenResponse.expires_in = this.expiresIn;
    const scope = params.get('scope');
    if (scope) tokenResponse.scope = scope;
    sendJson(res, 200, tokenResponse, { 'Cache-Control': 'no-store' });
  }

  /** RFC 7523 §3 checks of a jwt-bearer grant assertion; returns its claims, or why it was refused. */
  async #verifyGrantAssertion(assertion: string | null): Promise<JWTPayload | string> {
    if (assertion === null || assertion === '') return 'assertion missing';
    let issuer: unknown;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      return 'assertion is not a JWT';
    }
    const key = typeof issuer === 'string' ? this.#assertionIssuers.get(issuer) : undefined;
    if (key === undefined) return 'assertion issuer not trusted';
    try {
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ASYMMETRIC_ALGORITHMS,
        issuer: issuer as string,
        audience: [this.tokenEndpoint, this.issuer],
        requiredClaims: ['exp', 'sub'],
      });
      if (payload.jti !== undefined) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- jose does not check the type of jti, whatever JWTPayload says
        const jti = String(payload.jti);
        if (this.#seenGrantJtis.has(jti)) return 'assertion jti already used';
        this.#seenGrantJtis.add(jti);
      }
      return payload;
    } catch (error) {
      return `assertion rejected (${(error as { code?: string }).code ?? 'invalid'})`;
    }
  }

  /** RFC 7523 §3 checks of a client assertion; returns what it proved, or why it was refused. */
  async #verifyClientAssertion(params: URLSearchParams): Promise<NonNullable<ReceivedTokenRequest['assertion']> | string> {
    if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) return 'unsupported client_assertion_type';
    const assertion = params.get('client_assertion') ?? '';
    const clientId = params.get('client_id');
    if (clientId === null) return 'client_id missing';
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return 'client_assertion is not a JWS';
    }
    const isHmac = HMAC_ALGORITHMS.includes(header.alg ?? '');
    const secret = this.#clients.get(clientId);
    const key = isHmac ? (secret === undefined ? undefined : new TextEncoder().encode(secret)) : this.#clientKeys.get(clientId);
    if (key === undefined) return 'no key registered for this client and algorithm';
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, key, {
        algorithms: isHmac ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: [this.tokenEndpoint, this.issuer],
        requiredClaims: ['exp', 'jti'],
      });
      if (payload.aud === this.issuer && protectedHeader.typ !== CLIENT_AUTHENTICATION_JWT_TYPE)
        return `an issuer audience needs typ ${CLIENT_AUTHENTICATION_JWT_TYPE}`;
      if (this.#seenJtis.has(String(payload.jti))) return 'jti already used';
      this.#seenJtis.add(String(payload.jti));
      return { clientId, method: isHmac ? 'client_secret_jwt' : 'private_key_jwt', header: protectedHeader, claims: payload };
    } catch (error) {
      return `client_assertion rejected (${(error as { code?: string }).code ?? 'invalid'})`;
    }
  }
}

/** The public key of a KeyObject (public or private) or a JWK. */
function toPublicKey(key: KeyObject | JsonWebKey): KeyObject {
  const keyObject =
    'type' in key && typeof key.type === 'string' && typeof (key as KeyObject).export === 'function'
      ? (key as KeyObject)
      : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  return keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
}

/**
 * RFC 6749 §2.3.1: Basic credentials are base64 of `urlencoded(id) ":" urlencoded(secret)`;
 * split at the first colon (an encoded id has none), then form-decode each part.
 */
export function decodeClientCredentials(authorization: string | undefined, params: URLSearchParams): ReceivedTokenRequest['credentials'] {
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
