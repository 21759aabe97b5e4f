import { storeDeadline } from './store-deadline';
import { randomBytes } from 'node:crypto';
import type { Emit } from '../telemetry/events';
import type { Liveness } from '../token/liveness';
import { usableLifetimeMs, type SharedIssue, type SharingRequest, type TokenSharing } from '../token/manager';
import type { IssuedToken } from '../token/response';
import { seal, unseal } from './sealing';
import type { TokenStore } from './token-store';

/**
 * A token as stored (epoch ms; null: until a 401): when it expires, counted from when its
 * token request was sent, as a process that fetched it would count, and from when on no
 * process may take it (its expiry less the manager's margin).
 */
interface StoredToken {
  token: string;
  expiresAt: number | null;
  usableUntil: number | null;
}

/** Where one client's token and lease live in the store, and how they are sealed. */
export interface StoreEntry {
  /** The key of the sealed token. */
  tokenKey: string;
  /** The key of the lease held by the process fetching a token. */
  leaseKey: string;
  /** The AES-256-GCM key that seals the token. */
  sealingKey: Uint8Array;
}

/** The store's timing, resolved. */
export interface StoreTiming {
  leaseTtlMs: number;
  pollIntervalMs: number;
  operationTimeoutMs: number;
}

/** How long a store that failed is left alone before the next try. */
const STORE_RETRY_AFTER_MS = 1_000;
/** How long a token whose lifetime nobody knows is kept in the store: a day, like everything else. */
const UNKNOWN_LIFETIME_TTL_MS = 86_400_000;

/** A store operation that failed or took too long. */
class StoreUnavailable extends Error {}

/**
 * Shares tokens between processes through a TokenStore, so that a fleet makes one token
 * request where each process would make its own:
 *
 * - a usable token in the store is taken as it is;
 * - otherwise one process takes the lease (`setIfAbsent`, with a TTL) and fetches, the
 *   others look for its token every `pollIntervalMs`; if it dies, its lease expires and
 *   another process takes over;
 * - a token a resource refused (401) is removed from the store only while it is still
 *   the stored one (`deleteIfEquals`), so a burst of 401s across the fleet makes one
 *   token request;
 * - the store never fails a request: an operation that fails or takes longer than
 *   `operationTimeoutMs` makes this process fetch on its own, and leave the store alone
 *   for a second; it is reported once when sharing stops and once when it resumes.
 */
export class StoreSharing implements TokenSharing {
  readonly #store: TokenStore;
  readonly #entry: StoreEntry;
  readonly #timing: StoreTiming;
  readonly #emit: Emit;
  /** The stored value each recently seen token came in, for compare-and-delete on a 401. */
  readonly #storedValues = new Map<string, string>();
  #refused: string | undefined;
  #unavailableUntil = 0;
  /** When this process reported the store unavailable (epoch ms); undefined while it is available. */
  #unavailableSince: number | undefined;

  constructor(store: TokenStore, entry: StoreEntry, timing: StoreTiming, emit: Emit) {
    this.#store = store;
    this.#entry = entry;
    this.#timing = timing;
    this.#emit = emit;
  }

  async obtain(fromEndpoint: () => Promise<IssuedToken>, request: SharingRequest): Promise<SharedIssue> {
    if (Date.now() < this.#unavailableUntil) return { issued: await fromEndpoint(), source: 'endpoint' };
    const startedAt = Date.now();
    const giveUpAt = startedAt + 2 * this.#timing.leaseTtlMs;
    for (;;) {
      let step: Step;
      try {
        step = await this.#nextStep(request.replacing, startedAt);
      } catch (error) {
        this.#unavailable(error);
        return { issued: await fromEndpoint(), source: 'endpoint' };
      }
      if (step.kind === 'take') return { issued: step.issued, source: 'store' };
      if (step.kind === 'fetch') return { issued: await this.#fetchAndShare(fromEndpoint, step.leaseId, startedAt), source: 'endpoint' };
      // Another process is fetching. Its lease bounds the wait; past twice that, something is wrong: fetch here.
      if (Date.now() >= giveUpAt) return { issued: await fromEndpoint(), source: 'endpoint' };
      await pause(this.#timing.pollIntervalMs, request.liveness);
    }
  }

  refused(token: string): void {
    this.#refused = token;
    const stored = this.#storedValues.get(token);
    if (stored === undefined || Date.now() < this.#unavailableUntil) return;
    this.#storedValues.delete(token);
    this.#operation(this.#store.deleteIfEquals(this.#entry.tokenKey, stored)).catch((error: unknown) => this.#unavailable(error));
  }

  /** What to do now: take the stored token, fetch under the lease just taken, or wait. */
  async #nextStep(replacing: string | undefined, startedAt: number): Promise<Step> {
    const value = await this.#operation(this.#store.get(this.#entry.tokenKey));
    this.#available();
    if (value !== undefined) {
      const stored = this.#open(value);
      if (stored !== undefined && this.#isTakeable(stored, replacing)) {
        this.#remember(stored.token, value);
        return { kind: 'take', issued: { accessToken: stored.token, lifetimeMs: lifetimeSince(stored, startedAt) } };
      }
      // The refused token, or one that does not open (another key, altered, garbage): it must go.
      if (stored === undefined || stored.token === this.#refused)
        await this.#operation(this.#store.deleteIfEquals(this.#entry.tokenKey, value));
    }
    const leaseId = randomBytes(16).toString('base64url');
    const leased = await this.#operation(this.#store.setIfAbsent(this.#entry.leaseKey, leaseId, this.#timing.leaseTtlMs));
    if (!leased) return { kind: 'wait' };
    // The lease may be free because its holder stored its token and gave it back after the look
    // above: look again under the lease before fetching (a holder stores before it releases).
    const again = await this.#operation(this.#store.get(this.#entry.tokenKey));
    if (again !== undefined) {
      const fresh = this.#open(again);
      if (fresh !== undefined && this.#isTakeable(fresh, replacing)) {
        this.#operation(this.#store.deleteIfEquals(this.#entry.leaseKey, leaseId)).catch((error: unknown) => this.#unavailable(error));
        this.#remember(fresh.token, again);
        return { kind: 'take', issued: { accessToken: fresh.token, lifetimeMs: lifetimeSince(fresh, startedAt) } };
      }
    }
    return { kind: 'fetch', leaseId };
  }

  /** Whether this request may take a stored token: not the one it replaces, not one refused here, and still usable. */
  #isTakeable(stored: StoredToken, replacing: string | undefined): boolean {
    return stored.token !== replacing && stored.token !== this.#refused && isUsable(stored);
  }

  /** Fetches under the lease, stores what it got for the others, and gives the lease back. */
  async #fetchAndShare(fromEndpoint: () => Promise<IssuedToken>, leaseId: string, requestedAt: number): Promise<IssuedToken> {
    try {
      const issued = await fromEndpoint();
      await this.#share(issued, requestedAt).catch((error: unknown) => this.#unavailable(error));
      return issued;
    } finally {
      this.#operation(this.#store.deleteIfEquals(this.#entry.leaseKey, leaseId)).catch((error: unknown) => this.#unavailable(error));
    }
  }

  /** Stores a token fetched here; its lifetime counts from `requestedAt`, when this process set out to get it. */
  async #share(issued: IssuedToken, requestedAt: number): Promise<void> {
    const { lifetimeMs } = issued;
    const stored: StoredToken =
      lifetimeMs === undefined
        ? { token: issued.accessToken, expiresAt: null, usableUntil: null }
        : { token: issued.accessToken, expiresAt: requestedAt + lifetimeMs, usableUntil: requestedAt + usableLifetimeMs(lifetimeMs) };
    const ttlMs = stored.usableUntil === null ? UNKNOWN_LIFETIME_TTL_MS : stored.usableUntil - Date.now();
    if (ttlMs <= 0) return;
    const value = seal(this.#entry.sealingKey, this.#entry.tokenKey, JSON.stringify(stored));
    await this.#operation(this.#store.set(this.#entry.tokenKey, value, Math.ceil(ttlMs)));
    this.#remember(issued.accessToken, value);
  }

  #open(value: string): StoredToken | undefined {
    const plaintext = unseal(this.#entry.sealingKey, this.#entry.tokenKey, value);
    if (plaintext === undefined) return undefined;
    try {
      const parsed = JSON.parse(plaintext) as Partial<StoredToken>;
      if (typeof parsed.token !== 'string' || parsed.token === '') return undefined;
      if (!isTimeOrNull(parsed.expiresAt) || !isTimeOrNull(parsed.usableUntil)) return undefined;
      return { token: parsed.token, expiresAt: parsed.expiresAt, usableUntil: parsed.usableUntil };
    } catch {
      return undefined;
    }
  }

  /** Keeps the stored value of the last few tokens, for the compare-and-delete of a 401. */
  #remember(token: string, value: string): void {
    this.#storedValues.set(token, value);
    const [oldest] = this.#storedValues.keys();
    if (this.#storedValues.size > 4) this.#storedValues.delete(oldest);
  }

  /** A store operation, bounded by the operation timeout; any failure is a StoreUnavailable. */
  #operation<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.#timing.operationTimeoutMs;
      const cancelDeadline = storeDeadline(timeoutMs, () =>
        reject(new StoreUnavailable(`the store did not answer within ${timeoutMs} ms`)),
      );
      operation.then(
        (value) => {
          cancelDeadline();
          resolve(value);
        },
        (error: unknown) => {
          cancelDeadline();
          reject(new StoreUnavailable(`the store failed: ${describeStoreError(error)}`));
        },
      );
    });
  }

  #unavailable(error: unknown): void {
    this.#unavailableUntil = Date.now() + STORE_RETRY_AFTER_MS;
    if (this.#unavailableSince !== undefined) return;
    this.#unavailableSince = Date.now();
    this.#emit('store:unavailable', {
      errorMessage: error instanceof StoreUnavailable ? error.message : describeStoreError(error),
      retryInMs: STORE_RETRY_AFTER_MS,
    });
  }

  #available(): void {
    if (this.#unavailableSince === undefined) return;
    const unavailableForMs = Date.now() - this.#unavailableSince;
    this.#unavailableSince = undefined;
    this.#emit('store:available', { unavailableForMs });
  }
}

type Step = { kind: 'take'; issued: IssuedToken } | { kind: 'fetch'; leaseId: string } | { kind: 'wait' };

function isUsable(stored: StoredToken): boolean {
  return stored.usableUntil === null || stored.usableUntil > Date.now();
}

/**
 * The stored token's lifetime as the manager counts lifetimes: from when this fetch
 * started (the manager's own clock starts then), to when the token expires. The manager
 * then takes its margin off, as for a token it fetched itself.
 */
function lifetimeSince(stored: StoredToken, startedAt: number): number | undefined {
  return stored.expiresAt === null ? undefined : stored.expiresAt - startedAt;
}

function isTimeOrNull(value: unknown): value is number | null {
  // Number.isFinite is false for any other type; JSON.parse gives Infinity for 1e999.
  return value === null || Number.isFinite(value);
}

/** A store client's error, by its name and code only: its message may quote a command, and a command our sealed value. */
function describeStoreError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} (${code})` : error.name;
}

/** A wait between two looks at the store; like a retry's, it holds the process only while someone waits. */
function pause(ms: number, liveness: Liveness): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    liveness.governTimer(timer);
  });
}
