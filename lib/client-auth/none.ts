import type { ClientAuthentication } from './types';

/**
 * No client authentication (RFC 7523 §3.1: with the jwt-bearer grant the assertion may be
 * all the server needs). A public client still names itself with `client_id` in the body
 * (RFC 6749 §3.2.1) when it has an id.
 */
export function noClientAuthentication(clientId: string | undefined): ClientAuthentication {
  return (_headers, body) => {
    if (clientId !== undefined) body.append('client_id', clientId);
  };
}
