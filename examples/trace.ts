/**
 * Printing helpers for the demo. What the trace shows is observed on the servers' side,
 * so it is what really went over the wire, not what the client meant to send.
 * Tokens appear only as their last 4 characters; the client secret never appears.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AuthorizationServer, ReceivedTokenRequest } from './servers/authorization-server';
import type { ReceivedResourceRequest, ResourceServer } from './servers/resource-server';

// Color only on a terminal, so piped or logged output stays plain text.
const useColor = process.stdout.isTTY && !('NO_COLOR' in process.env);
const paint =
  (code: string) =>
  (text: string): string =>
    useColor ? `\x1b[${code}m${text}\x1b[0m` : text;
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const cyan = paint('36');

const INDENT = '   ';

/** Enough of a token to tell two apart in the trace, too little to use it. */
export function tail(token: string | undefined): string {
  return token === undefined ? 'no token' : `…${token.slice(-4)}`;
}

/** One token request and the answer, as the authorization server saw them. */
interface TokenExchange {
  kind: 'token';
  path: string;
  authMethod: string;
  clientId: string | undefined;
  status: number;
  token: string | undefined;
  expiresIn: number | undefined;
  error: string | undefined;
}

/** One request to the protected API and its status, as the resource server saw them. */
interface ApiExchange {
  kind: 'api';
  method: string;
  path: string;
  token: string | undefined;
  bodyBytes: number;
  status: number;
  error: string | undefined;
  /** The same request arrived again after a 401: the plugin's refresh-and-replay. */
  replay: boolean;
}

type Exchange = TokenExchange | ApiExchange;

/**
 * Taps both servers as they answer, buffers the exchanges of the current step and prints
 * them when the step reports what the caller saw. Identical API exchanges of a step
 * (a concurrent burst) are folded into one "20× GET /reports/:n" line.
 */
export class Trace {
  readonly #auth: AuthorizationServer;
  readonly #api: ResourceServer;
  readonly #pending: Exchange[] = [];
  #step = 0;
  #tokenRequestsAtStep = 0;
  #apiRequestsAtStep = 0;
  #replaysAtStep = 0;
  /** 401s the plugin replayed, over the whole demo. */
  replays = 0;
  /** Checks that did not hold; the demo exits 1 when there is any. */
  failedChecks = 0;

  constructor(auth: AuthorizationServer, api: ResourceServer) {
    this.#auth = auth;
    this.#api = api;
    this.#watchTokenEndpoint();
    this.#watchApi();
  }

  intro(lines: string[]): void {
    for (const line of lines) console.log(line);
    console.log(dim(`Legend: → request on the wire   ← answer   ↻ same request replayed by the plugin   ⇒ what your code got`));
  }

  /** Starts a numbered step; its counters start from here. */
  step(title: string): void {
    this.#flush();
    this.#step += 1;
    this.#tokenRequestsAtStep = this.#auth.requests.length;
    this.#apiRequestsAtStep = this.#api.requests.length;
    this.#replaysAtStep = this.replays;
    console.log(`\n${bold(`${this.#step}. ${title}`)}`);
  }

  get stepTokenRequests(): number {
    return this.#auth.requests.length - this.#tokenRequestsAtStep;
  }

  get stepApiRequests(): number {
    return this.#api.requests.length - this.#apiRequestsAtStep;
  }

  get stepReplays(): number {
    return this.replays - this.#replaysAtStep;
  }

  /** Something that happened off the wire, e.g. on the server's side. */
  note(text: string): void {
    this.#flush();
    console.log(`${INDENT}${dim(`· ${text}`)}`);
  }

  /** What the calling code got back. Prints the wire exchanges that led to it first. */
  outcome(text: string): void {
    this.#flush();
    console.log(`${INDENT}${cyan('⇒')} ${text}`);
  }

  /** States a claim of the demo and whether it held, so the demo doubles as a smoke test. */
  check(label: string, actual: unknown, expected: unknown): void {
    this.#flush();
    const held = isDeepStrictEqual(actual, expected);
    if (!held) this.failedChecks += 1;
    const verdict = held ? green('✓') : red(`✗ expected ${String(expected)}`);
    console.log(`${INDENT}${label}: ${bold(String(actual))} ${verdict}`);
  }

  summary(rows: [string, number, string][]): void {
    this.#flush();
    console.log(`\n${bold('Summary')}`);
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value, why] of rows) {
      console.log(`${INDENT}${label.padEnd(width)}  ${bold(String(value).padStart(3))}  ${dim(why)}`);
    }
  }

  #watchTokenEndpoint(): void {
    this.#auth.on('answered', (received: ReceivedTokenRequest) => {
      this.#pending.push({
        kind: 'token',
        path: '/oauth2/token',
        authMethod: received.assertion?.method ?? (received.credentials?.via === 'post' ? 'client_secret_post' : 'client_secret_basic'),
        clientId: received.credentials?.clientId ?? received.assertion?.clientId ?? received.params.get('client_id') ?? undefined,
        status: received.answer?.status ?? 0,
        token: received.answer?.token,
        expiresIn: received.answer?.expiresIn,
        error: received.answer?.error,
      });
    });
  }

  #watchApi(): void {
    // Requests the API refused, by method and path: when one arrives again, it is a replay.
    const refused = new Set<string>();
    this.#api.on('answered', (request: ReceivedResourceRequest) => {
      const key = `${request.method} ${request.url}`;
      const replay = refused.delete(key);
      if (request.status === 401) refused.add(key);
      if (replay) this.replays += 1;
      this.#pending.push({
        kind: 'api',
        method: request.method,
        path: request.url,
        token: /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1],
        bodyBytes: request.body.length,
        status: request.status,
        error: request.error,
        replay,
      });
    });
  }

  #flush(): void {
    // Fold each burst into one line per kind of exchange, in order of first appearance.
    const groups: { first: Exchange; count: number; lastIndex: number }[] = [];
    let interleaved = false;
    for (const [index, exchange] of this.#pending.splice(0).entries()) {
      const group = exchange.kind === 'api' ? groups.find((g) => g.first.kind === 'api' && sameShape(g.first, exchange)) : undefined;
      if (group === undefined) {
        groups.push({ first: exchange, count: 1, lastIndex: index });
        continue;
      }
      if (group.lastIndex !== index - 1) interleaved = true;
      group.count += 1;
      group.lastIndex = index;
    }
    for (const { first, count } of groups) printExchange(first, count);
    if (interleaved) console.log(`${INDENT}${dim('· folded into one line per kind; on the wire these exchanges interleave')}`);
  }
}

function printExchange(exchange: Exchange, count: number): void {
  if (exchange.kind === 'token') {
    const who = exchange.clientId === undefined ? '' : `, client_id=${JSON.stringify(exchange.clientId)}`;
    console.log(`${INDENT}${yellow('→')} POST ${exchange.path} (${exchange.authMethod}${who})`);
    const lifetime = exchange.expiresIn === undefined ? '' : ` (expires in ${exchange.expiresIn} s)`;
    const token = exchange.token === undefined ? '' : ` token ${bold(tail(exchange.token))}${lifetime}`;
    const error = exchange.error === undefined ? '' : ` ${exchange.error}`;
    console.log(`${INDENT}${yellow('←')} ${status(exchange.status)}${token}${error}`);
    return;
  }
  const times = count > 1 ? `${count}× ` : '';
  const path = count > 1 ? pattern(exchange.path) : exchange.path;
  const body = exchange.bodyBytes > 0 ? ` + ${exchange.bodyBytes}-byte body` : '';
  const token = bold(tail(exchange.token));
  const request = exchange.replay
    ? `${yellow('↻')} ${times}replay ${exchange.method} ${path}${body} with new token ${token}`
    : `→ ${times}${exchange.method} ${path}${body}  Bearer ${token}`;
  console.log(`${INDENT}${request}`);
  const reason = exchange.error === undefined ? '' : ` ${exchange.error}`;
  console.log(`${INDENT}← ${times}${status(exchange.status)}${reason}`);
}

function sameShape(a: ApiExchange, b: Exchange): boolean {
  return (
    b.kind === 'api' &&
    a.method === b.method &&
    pattern(a.path) === pattern(b.path) &&
    a.token === b.token &&
    a.status === b.status &&
    a.replay === b.replay &&
    a.bodyBytes === b.bodyBytes
  );
}

/** /reports/17 → /reports/:n, so a burst over numbered paths folds into one line. */
function pattern(path: string): string {
  return path.replace(/\/\d+$/, '/:n');
}

function status(code: number): string {
  return code >= 200 && code < 300 ? green(String(code)) : red(String(code));
}

/** [200, 200, 200] → "3× 200"; mixed statuses are listed by count. */
export function statusCounts(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const code of statuses) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].map(([code, n]) => (n > 1 ? `${n}× ${status(code)}` : status(code))).join(', ');
}
