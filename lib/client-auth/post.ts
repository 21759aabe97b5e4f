import type { ClientAuthentication } from './types';

/** `client_secret_post`: id and secret as form parameters of the body (RFC 6749 §2.3.1), no Authorization header. */
export function clientSecretPost(clientId: string, clientSecret: string): ClientAuthentication {
  return (_headers, body) => {
    body.append('client_id', clientId);
    body.append('client_secret', clientSecret);
  };
}
