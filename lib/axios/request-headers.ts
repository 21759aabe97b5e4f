/**
 * Reading and writing the Authorization header of a request whatever axios made it:
 * an AxiosHeaders of any copy or version of axios 1.x (headers are its own enumerable
 * properties), or the plain object of axios 0.27, where defaults sit in `common` and
 * per-method sections until axios flattens them just before sending. Only own
 * properties are touched, by name in any letter case, never through a class of ours.
 */

type Headers = Record<string, unknown>;

const AUTHORIZATION = 'authorization';
/** The sections of an axios 0.27 headers object that axios merges into what is sent. */
const COMMON_SECTION = 'common';

/**
 * The Authorization value that would be sent with `headers` for a request of `method`:
 * set at the top level, or (axios 0.27, before flattening) in the `common` or method
 * section. `false` counts: it is how a caller suppresses a header. Undefined when none.
 */
export function authorizationOf(headers: unknown, method: string | undefined): unknown {
  if (!isObject(headers)) return undefined;
  const own = valueOf(headers, findKey(headers));
  // An AxiosHeaders (1.x, it has methods) is flat: axios merged its sections already.
  if (own !== undefined || typeof headers.set === 'function') return own;
  return sectionValue(headers, method) ?? sectionValue(headers, COMMON_SECTION);
}

function sectionValue(headers: Headers, section: string | undefined): unknown {
  const nested = section === undefined ? undefined : headers[section];
  return isObject(nested) ? valueOf(nested, findKey(nested)) : undefined;
}

/** Sets the top-level Authorization, replacing a key of another letter case if there is one. */
export function setAuthorization(headers: Headers, value: string): void {
  headers[findKey(headers) ?? 'Authorization'] = value;
}

/** Removes every top-level Authorization whose value `isOurs`. */
export function removeAuthorization(headers: unknown, isOurs: (value: unknown) => boolean): void {
  if (!isObject(headers)) return;
  for (const key of Object.keys(headers)) {
    if (isAuthorizationKey(key) && isOurs(headers[key])) Reflect.deleteProperty(headers, key);
  }
}

/**
 * A plain copy of `headers` that keeps every value as it is, `false` (suppressed) too,
 * which AxiosHeaders#toJSON would drop.
 */
export function copyHeaders(headers: unknown): Headers {
  return isObject(headers) ? { ...headers } : {};
}

/** Removes a header by name in any letter case. */
export function removeHeader(headers: Headers, lowerCaseName: string): void {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lowerCaseName) Reflect.deleteProperty(headers, key);
  }
}

/** The key of the Authorization header in any letter case, without allocating on the usual path. */
function findKey(headers: Headers): string | undefined {
  for (const key in headers) {
    if (isAuthorizationKey(key) && Object.prototype.hasOwnProperty.call(headers, key)) return key;
  }
  return undefined;
}

function isAuthorizationKey(key: string): boolean {
  return key.length === AUTHORIZATION.length && key.toLowerCase() === AUTHORIZATION;
}

/** A header set to undefined or null is not sent: it counts as absent. */
function valueOf(headers: Headers, key: string | undefined): unknown {
  const value = key === undefined ? undefined : headers[key];
  return value === null ? undefined : value;
}

function isObject(value: unknown): value is Headers {
  return value !== null && typeof value === 'object';
}
