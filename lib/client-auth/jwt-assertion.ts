import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { ClientAssertionError } from '../errors';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The JWS `typ` of a client assertion whose audience is the issuer identifier
 * (draft-ietf-oauth-rfc7523bis): it marks the JWT as a client assertion, so it cannot be
 * replayed as another kind of JWT, and the issuer audience cannot be confused with
 * another server's endpoint.
 */
export const CLIENT_AUTHENTICATION_JWT_TYPE = 'client-authentication+jwt';

/** How each assertion of a handle is built. */
export interface AssertionSettings {
  /** JWS `alg`. */
  algorithm: string;
  /** JWS `kid`, when set. */
  keyId: string | undefined;
  /** JWS `typ`, when set. */
  type: string | undefined;
  /** `aud`. */
  audience: string;
  /** `exp` − `iat`, in seconds. */
  lifetimeSeconds: number;
}

/**
 * Signs one client assertion (RFC 7523 §3, OpenID Connect Core §9): `iss` = `sub` = the
 * client id, `aud`, a fresh random `jti` (servers reject a reused one), `iat` and `exp`.
 */
export async function signClientAssertion(clientId: string, key: KeyObject | Uint8Array, settings: AssertionSettings): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const header: { alg: string; kid?: string; typ?: string } = { alg: settings.algorithm };
  if (settings.keyId !== undefined) header.kid = settings.keyId;
  if (settings.type !== undefined) header.typ = settings.type;
  try {
    return await new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(settings.audience)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + settings.lifetimeSeconds)
      .sign(key);
  } catch (error) {
    // The key was checked at oauth2(); this is jose or the crypto backend refusing it. Its message names no key material.
    const message = error instanceof Error ? error.message : String(error);
    throw new ClientAssertionError(`signing the client assertion with ${settings.algorithm} failed: ${message}`, {
      cause: new Error(message),
    });
  }
}

/** The RFC 7523 §2.2 form parameters, with `client_id` (OpenID Connect Core §9 allows it; some servers require it). */
export function appendClientAssertion(body: URLSearchParams, clientId: string, assertion: string): void {
  body.append('client_id', clientId);
  body.append('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
  body.append('client_assertion', assertion);
}
