import { EventEmitter } from 'node:events';
import { Agent } from 'node:http';
import type { AxiosErrorLike } from './errors';
import { removeAuthorization } from './request-headers';

/** How deep the walk goes from an error: error → response → body stream → its socket is three steps. */
const MAX_DEPTH = 4;

/**
 * Before an axios error reaches the caller through the plugin, remove the bearer token
 * this library attached (`isOurs` tells it) from its config, and make non-enumerable
 * every property of the error's graph that leads to the transport: sockets, requests
 * (node's, follow-redirects'), agents' socket pools. A pooled socket points at the last
 * request it carried, and from there at its header block: a deep util.inspect or
 * JSON.stringify of any error would print another request's bearer token or Basic
 * credentials. They are found by what they are (event emitters: streams, sockets,
 * agents), not by a list of property names, which new axios versions outgrow (a symbol
 * on free sockets, say). The response body stays as it is, a stream included; its own
 * transport properties are hidden. The config keeps its agents enumerable, so that
 * sending `error.config` again (by hand, or axios-retry) keeps them: an agent there has
 * its socket pools hidden instead. A stream body in the config (consumed, and piped into
 * the request) is hidden. Everything stays readable by name;
 * `util.inspect(error, { showHidden: true })` shows it.
 */
export function redactBearerTokens(error: AxiosErrorLike, isOurs: (value: unknown) => boolean): void {
  const { config } = error;
  removeAuthorization(config?.headers, isOurs);
  const body: unknown = error.response?.data;
  // A body that is not a stream leads to no transport: it is not walked (it may be large).
  const seen = new Set<object>(body instanceof EventEmitter ? [] : [body as object]);
  if (config) {
    seen.add(config);
    for (const [key, value] of Object.entries(config)) {
      // Agents stay (a config sent again needs them), their socket pools do not print.
      if (value instanceof Agent) hideSocketPools(value);
      // A stream body, consumed and of no use to send again, leads to the request it was piped into.
      else if (value instanceof EventEmitter) hideProperties(config, [key]);
    }
  }
  hideTransport(error, 0, seen, body);
}

function hideTransport(holder: object, depth: number, seen: Set<object>, body: unknown): void {
  if (depth > MAX_DEPTH || seen.has(holder)) return;
  seen.add(holder);
  for (const key of Reflect.ownKeys(holder)) {
    const descriptor = Object.getOwnPropertyDescriptor(holder, key);
    if (!descriptor?.enumerable || !('value' in descriptor)) continue;
    const value: unknown = descriptor.value;
    if (value === null || typeof value !== 'object') continue;
    if (value instanceof EventEmitter && value !== body) {
      if (descriptor.configurable) Object.defineProperty(holder, key, { ...descriptor, enumerable: false });
    } else {
      hideTransport(value, depth + 1, seen, body);
    }
  }
}

/** Node's agents keep their sockets (and the requests waiting for one) in these. */
const SOCKET_POOLS = ['sockets', 'freeSockets', 'requests'] as const;
const agentsSeen = new WeakSet();

/** An agent stays usable and visible; what leads from it to sockets does not print. */
function hideSocketPools(agent: Agent): void {
  if (agentsSeen.has(agent)) return;
  agentsSeen.add(agent);
  hideProperties(agent, SOCKET_POOLS);
}

const socketsSeen = new WeakSet();

/**
 * A socket outlives the request it carried: pooled by an agent the whole app shares
 * (http.globalAgent), it keeps pointing at that request (Node's `_httpMessage` while in
 * use; newer axios keeps its own symbol to it even when the socket is free). An error of
 * any other request on that agent, a plain axios call included, would lead a deep
 * inspection from its agent to the socket and from there to our request's headers.
 * Called for each response to a request of ours: the socket's request-valued properties
 * (event emitters) are hidden, once per socket; axios and Node assign them again by
 * name, which keeps them hidden.
 */
export function hideRequestsOnSocket(request: unknown): void {
  const socket = (request as { socket?: unknown } | null | undefined)?.socket;
  if (!(socket instanceof EventEmitter) || socketsSeen.has(socket)) return;
  socketsSeen.add(socket);
  for (const key of Reflect.ownKeys(socket)) {
    const descriptor = Object.getOwnPropertyDescriptor(socket, key);
    if (descriptor?.enumerable && descriptor.configurable && descriptor.value instanceof EventEmitter) {
      Object.defineProperty(socket, key, { ...descriptor, enumerable: false });
    }
  }
  // Not there yet, or null while free: hidden ahead, so Node's later assignment stays hidden.
  for (const key of ['_httpMessage'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(socket, key);
    if (descriptor?.enumerable && descriptor.configurable) Object.defineProperty(socket, key, { ...descriptor, enumerable: false });
  }
}

function hideProperties(target: object, keys: readonly string[]): void {
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor?.enumerable && descriptor.configurable) Object.defineProperty(target, key, { ...descriptor, enumerable: false });
  }
}
