/**
 * The encodings a test searches secrets in, computed here independently of lib/ (a test
 * that asked the library how to encode would agree with the library's mistakes).
 */

/**
 * application/x-www-form-urlencoded encoding of one value over its UTF-8 bytes (WHATWG
 * URL standard, RFC 6749 Appendix B): ALPHA, DIGIT and "*-._" kept, a space as "+", every
 * other byte as %XX with upper-case hex.
 */
export function formEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/^[A-Za-z0-9*\-._]$/.test(char)) encoded += char;
    else if (char === ' ') encoded += '+';
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The client_secret_basic credentials as sent (RFC 6749 §2.3.1): base64 of the encoded id ":" the encoded secret. */
export function basicCredentials(clientId: string, clientSecret: string): string {
  return Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64');
}
