import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Tokens at rest: a bearer token in a shared store is usable by anyone who can read the
 * store, so it is stored sealed with AES-256-GCM (NIST SP 800-38D): a fresh 96-bit IV per
 * value, the 128-bit tag checked on the way back, and the store key as additional data,
 * so a value copied under another key does not open.
 */
const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** HKDF salt (RFC 5869 §3.1): fixed and public, it separates these keys from any other use of the secret. */
const KEY_SALT = 'axios-client-credentials/token-store/v1';

/** The 32-byte sealing key for one store entry, derived from the client secret with HKDF-SHA256 (RFC 5869). */
export function keyFromSecret(secret: string, entry: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret), KEY_SALT, entry, 32));
}

/** Seals `plaintext` for the store entry `entry`: `v1.<iv>.<ciphertext>.<tag>`, base64url. */
export function seal(key: Uint8Array, entry: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(entry));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [FORMAT, ...[iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.');
}

/** The plaintext of a sealed value, or undefined when it is not one of ours, or was altered, or sealed with another key. */
export function unseal(key: Uint8Array, entry: string, sealed: string): string | undefined {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) return undefined;
  const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
  // Node's GCM verifies a tag cut to as few as 4 bytes: only a full one is ours. An IV of
  // another length needs no check of its own: without the key, no tag verifies under any
  // IV, and an empty or over-long one throws inside the try below.
  if (tag.length !== TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(entry));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** A short, stable, non-reversible name for a set of strings (SHA-256, base64url). */
export function digest(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
