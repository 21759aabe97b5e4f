import { appendClientAssertion, signClientAssertion, type AssertionSettings } from './jwt-assertion';
import type { ClientAuthentication } from './types';

/** The algorithms of `client_secret_jwt` (OpenID Connect Core §9): HMAC over the secret's UTF-8 bytes. */
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['HS256', 'HS384', 'HS512'];
/** A JWS `alg` of `client_secret_jwt`: HS256, HS384 or HS512. */
export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';

/**
 * `client_secret_jwt`: a fresh JWT per token request, MACed with the client secret, in
 * the body as a client assertion (RFC 7523 §2.2). The secret itself never leaves the process.
 */
export function clientSecretJwt(clientId: string, clientSecret: string, settings: AssertionSettings): ClientAuthentication {
  const key = new Uint8Array(Buffer.from(clientSecret, 'utf8'));
  return async (_headers, body) => {
    appendClientAssertion(body, clientId, await signClientAssertion(clientId, key, settings));
  };
}
