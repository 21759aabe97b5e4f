import type { KeyObject } from 'node:crypto';
import { formEncode } from './form-encode';

/**
 * The client secret in every form a token endpoint plausibly echoes it back in an error
 * text: as given; percent-encoded (form encoding and encodeURIComponent, upper- and
 * lower-case hex); JSON string escaped (with and without \u escapes of non-ASCII, in
 * lower- or upper-case hex); base64 (padded or not) and base64url of the secret, of
 * `id:secret`, and of the Basic credentials as sent (form-encoded id and secret). Scrubbed from server text before it enters an error.
 * The same list covers the HMAC key of `client_secret_jwt`, which is the secret.
 */
export function credentialEncodings(clientId: string, clientSecret: string): string[] {
  const percentEncoded = [formEncode(clientSecret), encodeURIComponent(clientSecret)];
  const lowerHex = percentEncoded.map((text) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  const json = JSON.stringify(clientSecret).slice(1, -1);
  const unicodeEscaped = (hex: (code: number) => string): string =>
    json.replace(/[\u0080-\uffff]/g, (char) => `\\u${hex(char.charCodeAt(0))}`);
  const asciiJson = unicodeEscaped((code) => code.toString(16).padStart(4, '0'));
  const asciiJsonUpperHex = unicodeEscaped((code) => code.toString(16).toUpperCase().padStart(4, '0'));
  // Padded and unpadded; the unpadded base64 is a prefix of the padded one, so scrubbing
  // it also covers the padded form, but both are listed to say what is meant.
  const base64Of = (text: string): string[] => {
    const bytes = Buffer.from(text, 'utf8');
    const base64 = bytes.toString('base64');
    return [base64, base64.replace(/=+$/, ''), bytes.toString('base64url')];
  };
  return [
    clientSecret,
    ...percentEncoded,
    ...lowerHex,
    json,
    asciiJson,
    asciiJsonUpperHex,
    ...base64Of(clientSecret),
    ...base64Of(`${clientId}:${clientSecret}`),
    ...base64Of(`${formEncode(clientId)}:${formEncode(clientSecret)}`),
  ];
}

/** The private JWK members (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2): what makes a key private. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/**
 * A private key in the forms it could be printed in: its PKCS#8 PEM, the base64 body of
 * that PEM on one line, and each private JWK member (base64url). The key is never sent,
 * so no server can echo it; the list guards every text we build all the same.
 */
export function privateKeyEncodings(key: KeyObject, given?: string): string[] {
  const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
  return [...(given === undefined ? [] : [given.trim()]), pem.trim(), body, ...privateJwkMembers(key)];
}

/** Node has no JWK form for some keys it can sign with (RSA-PSS): those have no members to list. */
function privateJwkMembers(key: KeyObject): string[] {
  let jwk: Record<string, unknown>;
  try {
    jwk = key.export({ format: 'jwk' });
  } catch {
    return [];
  }
  return PRIVATE_JWK_MEMBERS.map((name) => jwk[name]).filter((value): value is string => typeof value === 'string');
}

/**
 * A client assertion as a server might echo it: whole (form encoding and JSON escaping
 * leave a compact JWS unchanged), and its signature part, which is what makes it usable.
 */
export function assertionEncodings(assertion: string): string[] {
  const [, , signature = ''] = assertion.split('.');
  return [assertion, formEncode(assertion), encodeURIComponent(assertion), ...(signature.length >= 16 ? [signature] : [])];
}
