/** The fields of a request config that decide where axios sends it. */
export interface RequestTarget {
  url?: unknown;
  baseURL?: unknown;
  /** axios >= 1.8: when false, even an absolute `url` is joined to `baseURL`. */
  allowAbsoluteUrls?: unknown;
}

/** Decides which origins may receive the bearer token (SPEC §6). */
export interface OriginFilter {
  /** Whether the token may go wherever this request is sent (its final URL, as axios builds it). */
  allowsRequest(target: RequestTarget): boolean;
  /** Whether the token may go to this absolute URL (a redirect's next hop). */
  allowsUrl(url: unknown): boolean;
  /** True when every origin is allowed, so no check is needed at all. */
  readonly allowsEverything: boolean;
}

/** axios' own test for an absolute URL (a scheme, or a protocol-relative `//`). */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
/** Bounds the per-URL memo, should an app build base URLs dynamically. */
const MAX_MEMOIZED_URLS = 256;

/**
 * `origins` given: exactly those, or all for `'*'`. Not given: the origin of the
 * instance's `baseURL` as it is when the request is made, or every origin when the
 * instance has no `baseURL` (a bare drop-in sends it everywhere). A `baseURL` that is
 * not an absolute http(s) URL names no origin we can vouch for, so none is allowed.
 */
export function createOriginFilter(origins: ReadonlySet<string> | '*' | undefined, instanceBaseURL: () => unknown): OriginFilter {
  if (origins === '*') return everyOrigin();
  if (origins !== undefined) return originsIn(() => origins);
  let lastBase: unknown;
  let allowed: ReadonlySet<string> | '*' = '*';
  return originsIn(() => {
    const base = instanceBaseURL();
    if (base !== lastBase) {
      lastBase = base;
      const origin = originOf(base);
      allowed = base === undefined || base === null || base === '' ? '*' : new Set(origin === undefined ? [] : [origin]);
    }
    return allowed;
  });
}

function everyOrigin(): OriginFilter {
  return { allowsRequest: () => true, allowsUrl: () => true, allowsEverything: true };
}

function originsIn(currentlyAllowed: () => ReadonlySet<string> | '*'): OriginFilter {
  const origin = memoizedOriginOf();
  const allows = (url: unknown): boolean => {
    const allowed = currentlyAllowed();
    if (allowed === '*') return true;
    const target = origin(url);
    return target !== undefined && allowed.has(target);
  };
  return {
    allowsRequest: (target) => allows(finalURL(target)),
    allowsUrl: allows,
    allowsEverything: false,
  };
}

/**
 * The URL axios sends a request to, as its buildFullPath decides: `baseURL` joined to a
 * relative `url` (or to any `url` when `allowAbsoluteUrls` is false), else `url` itself,
 * a string or a URL object. Joining never changes the base's origin (axios puts a `/`
 * between the two), so the base stands for the joined URL.
 */
function finalURL({ url, baseURL, allowAbsoluteUrls }: RequestTarget): unknown {
  // Anything else axios accepts as a URL (a URL object) is a string once String() has it,
  // as for axios; no URL is an empty one, which is relative too.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const href = String(url ?? '');
  const joinsBase = typeof baseURL === 'string' && baseURL !== '' && (!ABSOLUTE_URL.test(href) || allowAbsoluteUrls === false);
  return joinsBase ? baseURL : href;
}

/** originOf with a memo: most requests share a handful of base URLs. */
function memoizedOriginOf(): (url: unknown) => string | undefined {
  const memo = new Map<string, string | undefined>();
  return (url) => {
    if (typeof url !== 'string') return undefined;
    let origin = memo.get(url);
    if (origin === undefined && !memo.has(url)) {
      origin = originOf(url);
      if (memo.size >= MAX_MEMOIZED_URLS) memo.clear();
      memo.set(url, origin);
    }
    return origin;
  };
}

/** The origin of an absolute http(s) URL, else undefined (a relative URL has none we can vouch for). */
export function originOf(url: unknown): string | undefined {
  if (typeof url !== 'string' || !ABSOLUTE_URL.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a request goes, as logs and events show it: origin and path of its final URL,
 * never the query (which may carry an API key). Best effort: a relative URL stays as given.
 */
export function requestURLForEvents({ url, baseURL, allowAbsoluteUrls }: RequestTarget): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a URL object, as above
  const href = String(url ?? '');
  const joined =
    typeof baseURL === 'string' && baseURL !== '' && (!ABSOLUTE_URL.test(href) || allowAbsoluteUrls === false)
      ? `${baseURL.replace(/\/+$/, '')}/${href.replace(/^\/+/, '')}`
      : href;
  try {
    const parsed = new URL(joined);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return joined.split(/[?#]/)[0];
  }
}
