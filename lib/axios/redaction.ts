import { EventEmitter } from 'node:events';
import type { AxiosErrorLike } from './errors';
import { removeAuthorization } from './request-headers';

/** How deep the walk goes from an error: error → response → body stream → its socket is three steps. */
const MAX_DEPTH = 4;

/**
 * Before an axios error reaches the caller through the plugin, remove the bearer token
 * this library attached (`isOurs` tells it) from its config, and make non-enumerable
 * every property of the error's graph that leads to the transport: sockets, requests
 * (node's, follow-redirects'), agents. A pooled socket points at the last request it
 * carried, and from there at its header block: a deep util.inspect or JSON.stringify of
 * any error would print another request's bearer token or Basic credentials. They are
 * found by what they are (event emitters: streams, sockets, agents), not by a list of
 * property names, which new axios versions outgrow (a symbol on free sockets, say). The
 * response body stays as it is, a stream included; its own transport properties are hidden.
 * Everything stays readable by name; `util.inspect(error, { showHidden: true })` shows it.
 */
export function redactBearerTokens(error: AxiosErrorLike, isOurs: (value: unknown) => boolean): void {
  removeAuthorization(error.config?.headers, isOurs);
  const body = error.response?.data;
  // A body that is not a stream leads to no transport: it is not walked (it may be large).
  const notWalked = body instanceof EventEmitter ? [] : [body as object];
  hideTransport(error, 0, new Set<object>(notWalked), body);
}

function hideTransport(holder: object, depth: number, seen: Set<object>, body: unknown): void {
  if (depth > MAX_DEPTH || seen.has(holder)) return;
  seen.add(holder);
  for (const key of Reflect.ownKeys(holder)) {
    const descriptor = Object.getOwnPropertyDescriptor(holder, key);
    if (!descriptor?.enumerable || !('value' in descriptor)) continue;
    const { value } = descriptor;
    if (value === null || typeof value !== 'object') continue;
    if (value instanceof EventEmitter && value !== body) {
      if (descriptor.configurable) Object.defineProperty(holder, key, { ...descriptor, enumerable: false });
    } else {
      hideTransport(value, depth + 1, seen, body);
    }
  }
}
