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

/**
 * The client secret in every form a token endpoint plausibly echoes it back in an error
 * text: as given; percent-encoded (form encoding and encodeURIComponent, upper- and
 * lower-case hex); JSON string escaped (with and without \u escapes of non-ASCII);
 * base64 and base64url of the secret, of `id:secret`, and of the Basic credentials as
 * sent (form-encoded id and secret). Scrubbed from server text before it enters an error.
 */
export function credentialEncodings(clientId: string, clientSecret: string): string[] {
  const percentEncoded = [formEncode(clientSecret), encodeURIComponent(clientSecret)];
  const lowerHex = percentEncoded.map((text) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  const json = JSON.stringify(clientSecret).slice(1, -1);
  const asciiJson = json.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const base64Of = (text: string): string[] => {
    const bytes = Buffer.from(text, 'utf8');
    return [bytes.toString('base64'), bytes.toString('base64url')];
  };
  return [
    clientSecret,
    ...percentEncoded,
    ...lowerHex,
    json,
    asciiJson,
    ...base64Of(clientSecret),
    ...base64Of(`${clientId}:${clientSecret}`),
    ...base64Of(`${formEncode(clientId)}:${formEncode(clientSecret)}`),
  ];
}
