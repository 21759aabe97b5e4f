import { InvalidOptionsError } from '../errors';
import type { ResolvedClientAuth } from '../client-auth/options';
import type { ResolvedGrant } from '../grants';
import { digest, keyFromSecret } from './sealing';
import type { StoreEntry, StoreTiming } from './shared-source';
import type { TokenStore } from './token-store';

/** Option `store`, checked: the store, where this client's entry is in it, and how it is timed. */
export interface ResolvedStore {
  store: TokenStore;
  entry: StoreEntry;
  /** Undefined lease TTL: the token request's timeout plus 5 s, known once the backend is. */
  timing: Omit<StoreTiming, 'leaseTtlMs'> & { leaseTtlMs: number | undefined };
}

/** What names a client's token in a store: never a secret in the clear. */
export interface StoreIdentity {
  tokenEndpoint: string;
  clientId: string | undefined;
  scope: string;
  grant: ResolvedGrant;
  clientAuth: ResolvedClientAuth;
  extraParams: readonly (readonly [string, string])[];
}

const OPERATIONS = ['get', 'set', 'setIfAbsent', 'deleteIfEquals'] as const;
const DEFAULT_KEY_PREFIX = 'oauth2:';
const DEFAULT_POLL_INTERVAL_MS = 50;
const DEFAULT_OPERATION_TIMEOUT_MS = 250;
/** AES-256: 32 bytes. */
const SEALING_KEY_BYTES = 32;

/** Checks option `store` against the client it serves. */
export function resolveStore(value: unknown, identity: StoreIdentity): ResolvedStore | undefined {
  if (value === undefined) return undefined;
  const store = value as TokenStore;
  const missing = missingOperations(value);
  if (missing.length > 0) {
    throw new InvalidOptionsError(
      'store',
      `expected a token store such as redisStore(client), with get, set, setIfAbsent and deleteIfEquals; missing ${missing.join(', ')}`,
    );
  }
  const settings = store.settings ?? {};
  // The entry is named by everything that makes a token differ, hashed: the username of the
  // password grant is in it, the client secret and password are not.
  const name = digest([
    identity.tokenEndpoint,
    identity.clientId ?? '',
    identity.grant.type,
    identity.scope,
    identity.grant.type === 'password' ? identity.grant.username : '',
    JSON.stringify(identity.extraParams),
  ]);
  const prefix = settings.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const tokenKey = `${prefix}token:${name}`;
  return {
    store,
    entry: {
      tokenKey,
      leaseKey: `${prefix}lease:${name}`,
      sealingKey: sealingKeyFor(settings.encryptionKey, identity.clientAuth, tokenKey),
    },
    timing: {
      leaseTtlMs: settings.leaseTtlMs,
      pollIntervalMs: settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      operationTimeoutMs: settings.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
    },
  };
}

function missingOperations(value: unknown): string[] {
  // Reading a property of any other value is safe: a string or a number simply has none of them.
  const candidate = (value ?? {}) as Record<string, unknown>;
  return OPERATIONS.filter((name) => typeof candidate[name] !== 'function');
}

/** The given key, or one derived from the client secret; a client without a secret must give one. */
function sealingKeyFor(given: Uint8Array | string | undefined, clientAuth: ResolvedClientAuth, tokenKey: string): Uint8Array {
  if (given !== undefined) return checkedKey(given);
  if ('clientSecret' in clientAuth) return keyFromSecret(clientAuth.clientSecret, tokenKey);
  throw new InvalidOptionsError(
    'store',
    `needs settings.encryptionKey (32 bytes, e.g. crypto.randomBytes(32), the same in every process): with tokenEndpointAuthMethod '${clientAuth.method}' there is no client secret to derive one from`,
  );
}

function checkedKey(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key;
  if (!ArrayBuffer.isView(bytes) || bytes.byteLength !== SEALING_KEY_BYTES) {
    throw new InvalidOptionsError('store.encryptionKey', 'expected 32 bytes: a Buffer/Uint8Array, or a base64 string of 32 bytes');
  }
  return Uint8Array.from(bytes as Uint8Array);
}
