import { createPrivateKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { InvalidOptionsError } from '../errors';
import { appendClientAssertion, signClientAssertion, type AssertionSettings } from './jwt-assertion';
import type { ClientAuthentication } from './types';

/** The JWS algorithms `private_key_jwt` signs with (RFC 7518 §3, RFC 8037 for EdDSA). */
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** A JWS `alg` of `private_key_jwt`: RS256 to PS512, ES256/ES384/ES512, EdDSA. */
export type AsymmetricAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** What `privateKey` accepts: a PEM string, a private JWK, or a Node KeyObject. */
export type PrivateKeyInput = string | JsonWebKey | KeyObject;

/** RFC 7518 §3.3 and §3.5: an RSA key for RS* and PS* must have at least 2048 bits (jose refuses smaller ones). */
const MIN_RSA_BITS = 2048;

/** The one ECDSA algorithm of each curve (RFC 7518 §3.4). */
const EC_ALGORITHM: Readonly<Partial<Record<string, AsymmetricAlgorithm>>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** A private key checked at `oauth2()`, with what the key itself says about its use. */
export interface SigningKey {
  key: KeyObject;
  /** The JWK's `alg`, when the key came as a JWK that has one. */
  jwkAlgorithm?: string;
  /** The JWK's `kid`, when the key came as a JWK that has one. */
  jwkKeyId?: string;
}

/**
 * `private_key_jwt`: a fresh JWT per token request, signed with the client's private key,
 * in the body as a client assertion (RFC 7523 §2.2). Only the signature leaves the process.
 */
export function privateKeyJwt(clientId: string, key: KeyObject, settings: AssertionSettings): ClientAuthentication {
  return async (_headers, body) => {
    appendClientAssertion(body, clientId, await signClientAssertion(clientId, key, settings));
  };
}

/**
 * Reads `privateKey`: PEM (PKCS#8, PKCS#1 RSA, SEC1 EC), a private JWK, or a private
 * KeyObject. Errors name the option and what was wrong, never the key material, nor
 * the crypto library's message (which could quote it).
 */
export function readPrivateKey(value: unknown): SigningKey {
  if (value instanceof KeyObject) {
    if (value.type !== 'private') {
      throw new InvalidOptionsError(
        'privateKey',
        `expected a private key; got a ${value.type} KeyObject${value.type === 'secret' ? " (a shared secret belongs in clientSecret, with 'client_secret_jwt')" : ''}`,
      );
    }
    return { key: value };
  }
  if (typeof value === 'string') return { key: readPem(value) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return readJwk(value as JsonWebKey);
  throw new InvalidOptionsError(
    'privateKey',
    `expected a PEM string, a private JWK object or a private KeyObject; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
  );
}

function readPem(pem: string): KeyObject {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (label === undefined) {
    throw new InvalidOptionsError(
      'privateKey',
      'expected a PEM private key (-----BEGIN PRIVATE KEY-----), a private JWK object or a KeyObject',
    );
  }
  if (label === 'ENCRYPTED PRIVATE KEY' || pem.includes('Proc-Type: 4,ENCRYPTED')) {
    throw new InvalidOptionsError(
      'privateKey',
      'is encrypted; decrypt it first, e.g. crypto.createPrivateKey({ key, passphrase }), and pass the KeyObject',
    );
  }
  if (label.includes('PUBLIC KEY') || label === 'CERTIFICATE') {
    throw new InvalidOptionsError(
      'privateKey',
      `expected a private key; got a PEM ${label} (the server keeps the public key, the client the private one)`,
    );
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new InvalidOptionsError(
      'privateKey',
      `could not be read as a PEM ${label} (expected PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY")`,
    );
  }
}

function readJwk(jwk: JsonWebKey): SigningKey {
  if (jwk.kty === 'oct') {
    throw new InvalidOptionsError(
      'privateKey',
      "expected an asymmetric private JWK; got a symmetric (kty 'oct') one: use clientSecret with 'client_secret_jwt'",
    );
  }
  if (typeof jwk.d !== 'string' || jwk.d === '') {
    throw new InvalidOptionsError('privateKey', 'expected a private JWK (with "d"); got a public one');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new InvalidOptionsError('privateKey', `could not be read as a private JWK (kty ${JSON.stringify(jwk.kty)})`);
  }
  const signingKey: SigningKey = { key };
  if (typeof jwk.alg === 'string') signingKey.jwkAlgorithm = jwk.alg;
  if (typeof jwk.kid === 'string') signingKey.jwkKeyId = jwk.kid;
  return signingKey;
}

/**
 * The algorithm to sign with: the one asked for, else the JWK's `alg`, else the key's
 * natural one (RS256 for RSA, PS256 for RSA-PSS, ES256/ES384/ES512 by curve, EdDSA for
 * Ed25519 and Ed448). Throws when the key cannot make that signature.
 */
export function signingAlgorithmFor({ key, jwkAlgorithm }: SigningKey, requested: unknown): AsymmetricAlgorithm {
  const option = requested !== undefined ? 'signingAlgorithm' : 'privateKey';
  const wanted = requested ?? jwkAlgorithm;
  if (wanted !== undefined && !ASYMMETRIC_ALGORITHMS.includes(wanted as AsymmetricAlgorithm)) {
    const hint = typeof wanted === 'string' && wanted.startsWith('HS') ? " (HMAC algorithms are for 'client_secret_jwt')" : '';
    const what = requested !== undefined ? '' : "the JWK's alg: ";
    throw new InvalidOptionsError(
      option,
      `${what}expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')} for 'private_key_jwt'; got ${JSON.stringify(wanted)}${hint}`,
    );
  }
  const natural = naturalAlgorithms(key);
  if (wanted === undefined) return natural[0];
  if (!natural.includes(wanted as AsymmetricAlgorithm)) {
    throw new InvalidOptionsError(
      option,
      `${JSON.stringify(wanted)} cannot be made with ${describeKey(key)}; it signs with ${natural.join(', ')}`,
    );
  }
  return wanted as AsymmetricAlgorithm;
}

/** The algorithms a key can sign with, its default first. */
function naturalAlgorithms(key: KeyObject): AsymmetricAlgorithm[] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new InvalidOptionsError('privateKey', `an RSA key must have at least ${MIN_RSA_BITS} bits (RFC 7518 §3.3); got ${bits}`);
    }
    return type === 'rsa' ? ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] : ['PS256', 'PS384', 'PS512'];
  }
  if (type === 'ec') {
    const algorithm = EC_ALGORITHM[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (algorithm === undefined) {
      throw new InvalidOptionsError(
        'privateKey',
        `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'} is not a JOSE curve; use P-256, P-384 or P-521`,
      );
    }
    return [algorithm];
  }
  if (type === 'ed25519' || type === 'ed448') return ['EdDSA'];
  throw new InvalidOptionsError(
    'privateKey',
    `a ${type ?? 'unknown'} key cannot sign a JWT; use an RSA, EC (P-256, P-384, P-521) or Ed25519 key`,
  );
}

function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ec') return `an EC ${key.asymmetricKeyDetails?.namedCurve} key`;
  if (type === 'rsa' || type === 'rsa-pss') return `an ${type.toUpperCase()} key`;
  return `an ${type} key`;
}
