import type { InternalAxiosRequestConfig } from 'axios';

/** Decides whether a request may carry the bearer token (SPEC §6). */
export type OriginFilter = (config: InternalAxiosRequestConfig) => boolean;

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
/** Bounds the per-baseURL memo, should an app build baseURLs dynamically. */
const MAX_MEMOIZED_BASES = 256;

/**
 * `origins` given: exactly those, or all for `'*'`. Not given: the origin of the
 * instance's `baseURL` as it is when the request is made, or every origin when the
 * instance has no `baseURL` (a bare drop-in sends it everywhere). A `baseURL` that is
 * not an absolute http(s) URL names no origin we can vouch for, so none is allowed.
 */
export function createOriginFilter(origins: ReadonlySet<string> | '*' | undefined, defaultBaseURL: () => string | undefined): OriginFilter {
  if (origins === '*') return () => true;
  if (origins !== undefined) return createSetFilter(() => origins);
  let lastBase: string | undefined;
  let allowed: ReadonlySet<string> | '*' = '*';
  const allowedByBase = (): ReadonlySet<string> | '*' => {
    const base = defaultBaseURL();
    if (base !== lastBase) {
      lastBase = base;
      const origin = originOf(base);
      allowed = base === undefined || base === '' ? '*' : new Set(origin === undefined ? [] : [origin]);
    }
    return allowed;
  };
  return createSetFilter(allowedByBase);
}

function createSetFilter(currentlyAllowed: () => ReadonlySet<string> | '*'): OriginFilter {
  // Most requests are relative to a baseURL, so remember each baseURL's origin.
  const originByBase = new Map<string, string | undefined>();
  const baseOrigin = (baseURL: string): string | undefined => {
    if (originByBase.has(baseURL)) return originByBase.get(baseURL);
    const origin = originOf(baseURL);
    if (originByBase.size >= MAX_MEMOIZED_BASES) originByBase.clear();
    originByBase.set(baseURL, origin);
    return origin;
  };
  return (config) => {
    const allowed = currentlyAllowed();
    if (allowed === '*') return true;
    const { url, baseURL } = config;
    const usesBase = baseURL && (!(typeof url === 'string' && ABSOLUTE_URL.test(url)) || config.allowAbsoluteUrls === false);
    const origin = usesBase ? baseOrigin(baseURL) : originOf(url);
    return origin !== undefined && allowed.has(origin);
  };
}

/** The origin of an absolute http(s) URL, else undefined (a relative URL has none we can vouch for). */
function originOf(url: string | undefined): string | undefined {
  if (typeof url !== 'string' || !ABSOLUTE_URL.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
