/**
 * Grants, one file per grant: client-credentials.ts, password.ts, jwt-bearer.ts. Each
 * adds its own body parameters after `grant_type`; client authentication (lib/client-auth/)
 * is added apart, so every grant combines with every method that makes sense for it.
 * options.ts checks their options together.
 */
import { clientCredentialsGrant } from './client-credentials';
import { jwtBearerGrant } from './jwt-bearer';
import type { ResolvedGrant } from './options';
import { passwordEncodings, passwordGrant } from './password';
import type { GrantParameters } from './types';

export type { GrantParameters } from './types';
export type { AssertionSource } from './jwt-bearer';
export { grantAssertionEncodings, JWT_BEARER } from './jwt-bearer';
export { CLIENT_CREDENTIALS } from './client-credentials';
export { PASSWORD } from './password';
export { resolveGrant, GRANT_TYPES, type GrantType, type ResolvedGrant } from './options';

/** The body parameters of a checked grant. */
export function grantParameters(grant: ResolvedGrant): GrantParameters {
  switch (grant.type) {
    case 'client_credentials':
      return clientCredentialsGrant();
    case 'password':
      return passwordGrant(grant.username, grant.password);
    case 'urn:ietf:params:oauth:grant-type:jwt-bearer':
      return jwtBearerGrant(grant.assertion);
  }
}

/**
 * The long-lived credentials of a grant in every form they could be echoed in, to scrub
 * from server text. A jwt-bearer assertion is added per token request (grantAssertionEncodings).
 */
export function grantSecrets(grant: ResolvedGrant): string[] {
  return grant.type === 'password' ? passwordEncodings(grant.username, grant.password) : [];
}
