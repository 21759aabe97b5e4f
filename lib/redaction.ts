import type { AxiosError } from 'axios';

/**
 * Before an axios error of an authorized request reaches the caller, remove the bearer
 * token this library attached, so that logging the error (message, util.inspect,
 * JSON.stringify, toJSON) never prints it. The response (status, headers, body) is
 * untouched. The raw ClientRequest, whose header block holds the token, stays reachable
 * as `error.request` but is no longer enumerable.
 */
export function redactBearerToken(error: AxiosError, authorization: string): void {
  const headers = error.config?.headers;
  if (headers && headers.get('Authorization') === authorization) headers.delete('Authorization');
  hideProperty(error, 'request');
  if (error.response) hideProperty(error.response, 'request');
}

function hideProperty(target: object, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor?.enumerable && descriptor.configurable) {
    Object.defineProperty(target, key, { ...descriptor, enumerable: false });
  }
}

export const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of the given secrets in a text. Used on text the server
 * sends back (error_description, error_uri), which a misbehaving server may echo the
 * credentials into, before that text reaches an error message.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const needles = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  return (text) => needles.reduce((scrubbed, needle) => scrubbed.split(needle).join(REDACTED), text);
}
