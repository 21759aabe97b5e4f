import type { BearerHeaders } from './bearer-headers';
import type { Cancelable } from './cancellation';
import type { OriginFilter, RequestTarget } from './origins';
import { authorizationOf, removeAuthorization, setAuthorization } from './request-headers';
import { snapshotBody } from './replay-body';
import type { TokenManager } from '../token/manager';

/** What the dispatch step reads of a request config: fields axios has had since 0.27, by name. */
export interface DispatchedConfig extends RequestTarget, Cancelable {
  method?: string;
  headers?: unknown;
  auth?: unknown;
  data?: unknown;
  transformRequest?: unknown;
  beforeRedirect?: unknown;
  maxRedirects?: number;
  timeout?: number;
}

/** The follow-redirects options of the next hop, as axios' http adapter hands them to `beforeRedirect`. */
interface RedirectOptions {
  href?: unknown;
  protocol?: unknown;
  hostname?: unknown;
  port?: unknown;
  headers?: unknown;
}

type BeforeRedirect = (options: RedirectOptions, ...details: unknown[]) => void;

/** On each of our hooks: the caller's hook it wraps (a replay's config brings ours along). */
const CALLER_HOOK = Symbol('callerHook');
type ConfiningHook = BeforeRedirect & { [CALLER_HOOK]?: unknown };

export interface DispatchContext {
  manager: TokenManager;
  bearer: BearerHeaders;
  origins: OriginFilter;
  /** How many replays a request may get: with none, its body need not be kept. */
  retries: number;
  /** Where the dispatch step notes a request it sent without a token (see SENT_WITHOUT_TOKEN). */
  mark: symbol;
  /** The token each request that waited for one got (the cold path only). */
  awaited: WeakMap<object, string>;
}

/** A request's mark: it went to an allowed origin without a token, none being ready; its 401 calls for one. */
export const SENT_WITHOUT_TOKEN = Symbol('sent without a token');

/** A transformRequest function: axios calls it with the final config as `this`. */
export type DispatchStep = (this: unknown, data: unknown, headers: unknown) => unknown;

/**
 * The point of sending. Fused by our request interceptor into the last of the request's
 * transformRequest functions (see transforms.ts), it runs inside axios' dispatch after
 * every request interceptor and every other transform, with the final config as `this`
 * (axios 0.27 and every 1.x: pinned by the consumer matrix and any-axios.test). There, and only there, the token is attached: if the request brings
 * no credentials of its own and its final URL is an allowed origin. A request that
 * never reaches this step (a later interceptor replaced transformRequest) carries no
 * token: the plugin fails closed. A request that carries our token anyway (a config
 * sent again by hand) loses it when its final URL is not allowed, so a request that
 * carries our token has always been sent to an allowed origin.
 */
export function createDispatchStep(context: DispatchContext): DispatchStep {
  const { manager, bearer, origins, retries, mark, awaited } = context;
  const confineRedirects = createRedirectConfinement(context);

  return function attachAtDispatch(this: unknown, data: unknown, headers: unknown): unknown {
    const config = this as (DispatchedConfig & Record<symbol, unknown>) | undefined;
    // `this` is whatever axios binds: a config on every version we know, but it is not ours to trust.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (config === null || typeof config !== 'object' || headers === null || typeof headers !== 'object') return data;
    const present = authorizationOf(headers, config.method);
    // RFC 6750 §2.1 credentials of the caller's own (a header, or axios' `auth` for Basic) are left alone.
    if (config.auth != null || (present !== undefined && !bearer.isOurs(present))) return data;
    if (!origins.allowsRequest(config)) {
      // A config that carried our token before (sent again by hand) must not carry it here.
      if (present !== undefined) removeAuthorization(headers, bearer.isOurs);
      return data;
    }
    // The cached token, else the one this request waited for (an invalidate() since may
    // have kept it out of the cache), else the latest issued.
    const token = manager.peek() ?? awaited.get(config) ?? manager.latest();
    if (token === undefined) {
      // An interceptor after ours sent it to an allowed origin before any token was fetched.
      config[mark] = SENT_WITHOUT_TOKEN;
      return data;
    }
    setAuthorization(headers as Record<string, unknown>, bearer.for(token));
    if (!origins.allowsEverything && config.maxRedirects !== 0) confineRedirects(config, headers);
    // What this returns becomes config.data and is what the adapter sends: a copy the app
    // cannot change afterwards, so a replay of config.data sends the bytes first sent.
    return retries > 0 ? snapshotBody(data) : data;
  };
}

/**
 * Gives the request a `beforeRedirect` (axios' documented hook, called by its Node http
 * adapter before each hop) that takes our token off a hop to an origin not allowed.
 * follow-redirects already drops Authorization on a hop to another host, but keeps it
 * for a subdomain (api.example.com → evil.api.example.com) and from http: to https: on
 * the same host; the allowed origins are the rule here. One hook serves every request;
 * a hook the caller set runs first. Whether the hop that answered still carried the
 * token is read off that hop's request (see ourHeaderOn), so a 401 from there is not
 * taken for a refusal of our token.
 */
function createRedirectConfinement({ bearer, origins }: DispatchContext): (config: DispatchedConfig, headers: object) => void {
  const confine: ConfiningHook = (options) => {
    if (!origins.allowsUrl(nextHopURL(options))) removeAuthorization(options.headers, bearer.isOurs);
  };
  return (config, headers) => {
    // axios 0.27 (plain headers) lets config.beforeRedirect replace the hook that keeps
    // redirects on the proxy; there, behind a proxy, follow-redirects' own rule applies.
    if (typeof (headers as { set?: unknown }).set !== 'function' && usesProxy(config)) return;
    const existing = config.beforeRedirect as ConfiningHook | undefined | null;
    if (existing === undefined || existing === null) {
      config.beforeRedirect = confine;
    } else if (existing !== confine && !(CALLER_HOOK in existing)) {
      const callerFirst: ConfiningHook = (options, ...details) => {
        existing(options, ...details);
        confine(options);
      };
      callerFirst[CALLER_HOOK] = existing;
      config.beforeRedirect = callerFirst;
    }
  };
}

/** Whether axios 0.27 would send the request through a proxy: `proxy` set, or one from the environment. */
export function usesProxy(config: DispatchedConfig & { proxy?: unknown }): boolean {
  if (config.proxy === false) return false;
  if (config.proxy) return true;
  const env = process.env;
  // An empty variable sets no proxy, as for axios' proxy-from-env: `||`, not `??`.
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
  return Boolean(env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY);
}

/** The URL of the next hop, from the options follow-redirects prepared for it. */
export function nextHopURL({ href, protocol, hostname, port }: RedirectOptions): string | undefined {
  if (typeof href === 'string') return href;
  if (typeof protocol !== 'string' || typeof hostname !== 'string') return undefined;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return `${protocol}//${host}${port === undefined || port === '' ? '' : `:${typeof port === 'number' || typeof port === 'string' ? port : ''}`}`;
}
