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
