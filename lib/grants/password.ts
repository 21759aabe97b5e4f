import { credentialEncodings } from '../client-auth';
import type { GrantParameters } from './types';

/** RFC 6749 §4.3.2. */
export const PASSWORD = 'password';

/**
 * `password` (resource owner password credentials, RFC 6749 §4.3): the user's name and
 * password as form parameters. RFC 9700 §2.4 says not to use this grant; it is here for
 * the servers that still require it (Couper supports it too).
 */
export function passwordGrant(username: string, password: string): GrantParameters {
  return (body) => {
    body.append('username', username);
    body.append('password', password);
  };
}

/**
 * The password in every form a token endpoint could echo it back in: the same list as the
 * client secret (as given, percent-, form- and JSON-encoded, base64 and base64url, and of
 * `username:password` both raw and form-encoded).
 */
export function passwordEncodings(username: string, password: string): string[] {
  return credentialEncodings(username, password);
}
