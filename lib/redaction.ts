import type { AxiosErrorLike } from './axios-errors';
import { removeAuthorization } from './request-headers';

/**
 * Before an axios error of an authorized request reaches the caller, remove the bearer
 * token this library attached (`isOurs` tells it), so that logging the error (message,
 * util.inspect, JSON.stringify, toJSON) never prints it. The response's status, headers
 * and body are untouched. What leads to a raw ClientRequest, whose header block holds
 * the token, stays reachable but is no longer enumerable: the request itself, the agents
 * (their pooled sockets point at the last request they carried), and a streamed body's socket.
 */
export function redactBearerTokens(error: AxiosErrorLike, isOurs: (value: unknown) => boolean): void {
  const { config, response } = error;
  if (config) {
    removeAuthorization(config.headers, isOurs);
    hideProperties(config, ['httpAgent', 'httpsAgent']);
  }
  hideProperties(error, ['request']);
  if (response) {
    hideProperties(response, ['request']);
    if (isStream(response.data)) hideProperties(response.data, ['req', 'socket', 'client']);
  }
}

function isStream(value: unknown): value is object {
  return value !== null && typeof value === 'object' && typeof (value as { pipe?: unknown }).pipe === 'function';
}

function hideProperties(target: object, keys: readonly string[]): void {
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor?.enumerable && descriptor.configurable) {
      Object.defineProperty(target, key, { ...descriptor, enumerable: false });
    }
  }
}

const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of the given secrets in a text. Used on text the server
 * sends back (error_description, error_uri), which a misbehaving server may echo the
 * credentials into, before that text reaches an error message.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const needles = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  return (text) => needles.reduce((scrubbed, needle) => scrubbed.split(needle).join(REDACTED), text);
}
