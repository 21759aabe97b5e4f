import type { TokenEndpointAuthMethod } from './options';

/**
 * Adds the client's credentials to a token request. The credentials live only in the
 * closure, so neither inspecting nor serializing an authenticator reveals them.
 */
export type ClientAuthentication = (headers: Record<string, string>, body: URLSearchParams) => void;

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

/** `client_secret_post`: id and secret as form parameters of the body (RFC 6749 §2.3.1), no Authorization header. */
export function clientSecretPost(clientId: string, clientSecret: string): ClientAuthentication {
  return (_headers, body) => {
    body.append('client_id', clientId);
    body.append('client_secret', clientSecret);
  };
}

export function clientAuthentication(method: TokenEndpointAuthMethod, clientId: string, clientSecret: string): ClientAuthentication {
  return method === 'client_secret_post' ? clientSecretPost(clientId, clientSecret) : clientSecretBasic(clientId, clientSecret);
}

/**
 * application/x-www-form-urlencoded encoding of one value, over its UTF-8 bytes
 * (RFC 6749 Appendix B): the WHATWG urlencoded serializer, which keeps only
 * ALPHA / DIGIT / "*" / "-" / "." / "_" and turns a space into "+".
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
