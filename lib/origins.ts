import type { InternalAxiosRequestConfig } from 'axios';

/** Decides whether a request may carry the bearer token (SPEC §6). */
export type OriginFilter = (config: InternalAxiosRequestConfig) => boolean;

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
/** Bounds the per-baseURL memo, should an app build baseURLs dynamically. */
const MAX_MEMOIZED_BASES = 256;

/**
 * `origins` given: exactly those. Not given: the origin of the instance's `baseURL`, or
 * every origin when the instance has no `baseURL` (a bare drop-in sends it everywhere).
 */
export function createOriginFilter(origins: ReadonlySet<string> | '*' | undefined, baseURL: string | undefined): OriginFilter {
  if (origins === '*') return () => true;
  let allowed = origins;
  if (allowed === undefined) {
    const baseOrigin = originOf(baseURL);
    if (baseOrigin === undefined) return () => true;
    allowed = new Set([baseOrigin]);
  }
  return createSetFilter(allowed);
}

function createSetFilter(allowed: ReadonlySet<string>): OriginFilter {
  // Most requests are relative to a baseURL, so remember each baseURL's verdict.
  const verdictByBase = new Map<string, boolean>();
  const isAllowedURL = (url: string | undefined): boolean => {
    const origin = originOf(url);
    return origin !== undefined && allowed.has(origin);
  };
  return (config) => {
    const { url, baseURL } = config;
    const usesBase = baseURL && (!(typeof url === 'string' && ABSOLUTE_URL.test(url)) || config.allowAbsoluteUrls === false);
    if (!usesBase) return isAllowedURL(url);
    let verdict = verdictByBase.get(baseURL);
    if (verdict === undefined) {
      verdict = isAllowedURL(baseURL);
      if (verdictByBase.size >= MAX_MEMOIZED_BASES) verdictByBase.clear();
      verdictByBase.set(baseURL, verdict);
    }
    return verdict;
  };
}

/** The origin of an absolute http(s) URL, else undefined (a relative URL has none we can vouch for). */
export function originOf(url: string | undefined): string | undefined {
  if (typeof url !== 'string' || !ABSOLUTE_URL.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
