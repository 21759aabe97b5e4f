/**
 * Client authentication at the token endpoint, one file per method: basic.ts, post.ts,
 * client-secret-jwt.ts, private-key-jwt.ts, assertion-sources.ts for assertions made
 * elsewhere, and none.ts (the jwt-bearer grant without client authentication). options.ts checks their options together; secrets.ts lists what to scrub.
 */
import { suppliedAssertion } from './assertion-sources';
import { clientSecretBasic } from './basic';
import { clientSecretJwt } from './client-secret-jwt';
import { noClientAuthentication } from './none';
import type { ResolvedClientAuth } from './options';
import { clientSecretPost } from './post';
import { privateKeyJwt } from './private-key-jwt';
import { credentialEncodings } from './secrets';
import type { ClientAuthentication } from './types';

export type { ClientAuthentication } from './types';
export { clientSecretBasic, basicCredentials } from './basic';
export { clientSecretPost } from './post';
export { formEncode } from './form-encode';
export { credentialEncodings, assertionEncodings } from './secrets';
export { resolveClientAuth, type GrantContext, type ResolvedClientAuth, type TokenEndpointAuthMethod } from './options';

/**
 * The authenticator of a checked client authentication. `clientId` is undefined only
 * with `'none'`: every other method requires it (checked by resolveOptions).
 */
export function clientAuthentication(clientId: string | undefined, auth: ResolvedClientAuth): ClientAuthentication {
  if (auth.method === 'none') return noClientAuthentication(clientId);
  return authenticatorOf(clientId ?? '', auth);
}

function authenticatorOf(clientId: string, auth: Exclude<ResolvedClientAuth, { method: 'none' }>): ClientAuthentication {
  switch (auth.method) {
    case 'client_secret_basic':
      return clientSecretBasic(clientId, auth.clientSecret);
    case 'client_secret_post':
      return clientSecretPost(clientId, auth.clientSecret);
    case 'client_secret_jwt':
      return clientSecretJwt(clientId, auth.clientSecret, auth.assertion);
    case 'private_key_jwt':
      return 'clientAssertion' in auth
        ? suppliedAssertion(clientId, auth.clientAssertion)
        : privateKeyJwt(clientId, auth.privateKey.key, auth.assertion);
  }
}

/**
 * The long-lived credentials of a client authentication in every form they could be
 * echoed in, to scrub from server text. Per-request assertions are added by the token
 * request itself (assertionEncodings).
 */
export function clientAuthSecrets(clientId: string | undefined, auth: ResolvedClientAuth): string[] {
  if ('clientSecret' in auth) return credentialEncodings(clientId ?? '', auth.clientSecret);
  if ('keyEncodings' in auth) return [...auth.keyEncodings];
  return [];
}
