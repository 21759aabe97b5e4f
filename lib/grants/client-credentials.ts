import type { GrantParameters } from './types';

/** RFC 6749 §4.4.2. */
export const CLIENT_CREDENTIALS = 'client_credentials';

/** `client_credentials`: the client acts for itself; the grant adds nothing beyond `grant_type` (and `scope`). */
export function clientCredentialsGrant(): GrantParameters {
  return () => undefined;
}
