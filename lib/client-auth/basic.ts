import { formEncode } from './form-encode';
import type { ClientAuthentication } from './types';

/**
 * `client_secret_basic`: HTTP Basic with the id and secret each form-urlencoded first.
 * RFC 6749 §2.3.1 and Appendix B require that encoding, so ids and secrets holding
 * `:`, `%`, `+`, spaces or non-ASCII letters survive the `id:secret` split on the server.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuthentication {
  const authorization = `Basic ${basicCredentials(clientId, clientSecret)}`;
  return (headers) => {
    headers.Authorization = authorization;
  };
}

/** The base64 credentials of the Basic header: base64(formEncode(id) ":" formEncode(secret)), over UTF-8. */
export function basicCredentials(clientId: string, clientSecret: string): string {
  return Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64');
}
