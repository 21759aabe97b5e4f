import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { RedisClientKind } from './redis-clients';

/**
 * A fleet of real Node processes (support/fleet-member.cjs), each running the built
 * package with its own Redis client and one axios instance authorized with
 * `store: redisStore(client, settings)`, all against the same servers and Redis. The
 * parent sends commands over IPC and collects the handle events each member forwards.
 * `useFleet()` stops every member after each test, whatever the test did.
 */

const ROOT = resolve(__dirname, '..', '..');
const MEMBER_SCRIPT = join(__dirname, 'fleet-member.cjs');
const READY_TIMEOUT_MS = 15_000;
const QUIT_TIMEOUT_MS = 3_000;

/** The Redis client each member makes, as JSON (no functions cross IPC): the settings of support/redis-clients.ts. */
export interface MemberRedisSettings {
  kind: RedisClientKind;
  url: string;
  /** Reconnect delay after a lost connection. Default 50 ms. */
  reconnectDelayMs?: number;
  /** Default 1000 ms. */
  connectTimeoutMs?: number;
  /** The client's offline queue (commands wait while disconnected). Default false: they fail at once. */
  offlineQueue?: boolean;
}

/** Settings of redisStore(), as JSON. */
export interface MemberStoreSettings {
  keyPrefix?: string;
  leaseTtlMs?: number;
  pollIntervalMs?: number;
  operationTimeoutMs?: number;
  /** base64 of 32 bytes. */
  encryptionKey?: string;
}

export interface FleetOptions {
  size: number;
  redis: MemberRedisSettings;
  /** Base URL of the protected API. */
  apiUrl: string;
  /** oauth2() options as JSON (tokenEndpoint, clientId, clientSecret, ...); `store` is added by the member. */
  oauth2: Record<string, unknown>;
  store: MemberStoreSettings;
}

/** An event of a member's handle, as it forwarded it. */
export interface FleetEvent {
  member: number;
  name: string;
  fields: Record<string, unknown>;
  /** Date.now() in the member when it happened. */
  at: number;
}

/** A burst's or loop's outcome, as a member reports it: counts and codes only. */
export interface RequestsReport {
  ok: number;
  failed: number;
  /** Status → count of the requests that succeeded. */
  statuses: Record<string, number>;
  /** Code (`HTTP_401`, `ECONNRESET`, ...) → count of those that failed. */
  errors: Record<string, number>;
  /** The slowest request, in ms. */
  maxMs: number;
  /** Requests that took `slowMs` or more (when the command gave one): when they started (epoch ms) and how long they took. */
  slow: { startedAt: number; ms: number }[];
  /** Redis commands the member's store sent during the command, how many failed, and the slowest, in ms, as the member saw them. */
  redisCommands: number;
  redisCommandsFailed: number;
  redisCommandMaxMs: number;
  /** The member's longest event-loop stall during the command, in ms. */
  eventLoopDelayMaxMs: number;
}

export type MemberCommand =
  | { command: 'burst'; n: number; path?: string; slowMs?: number }
  | { command: 'loop'; ms: number; concurrency?: number; pauseMs?: number; path?: string; slowMs?: number }
  | { command: 'invalidate' }
  | { command: 'quit' };

type Reply<C extends MemberCommand> = C extends { command: 'burst' | 'loop' } ? RequestsReport : Record<string, never>;

type MemberMessage =
  | { type: 'ready'; pid: number }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'event'; name: string; fields: Record<string, unknown>; at: number };

class Member {
  readonly events: FleetEvent[] = [];
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  #stderr = '';
  #gone = false;

  constructor(
    readonly index: number,
    options: FleetOptions,
    onEvent: (event: FleetEvent) => void,
  ) {
    const config = { root: ROOT, redis: options.redis, apiUrl: options.apiUrl, oauth2: options.oauth2, store: options.store };
    this.#child = fork(MEMBER_SCRIPT, [String(index)], {
      execArgv: [],
      env: { ...process.env, FLEET_MEMBER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    let markReady: () => void;
    let failReady: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.ready.catch(() => {});
    this.exited = new Promise<void>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#gone = true;
        const why = new Error(
          `fleet member ${index} exited (${signal ?? `code ${code}`})${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`,
        );
        failReady(why);
        for (const waiter of this.#pending.values()) waiter.reject(why);
        this.#pending.clear();
        resolve();
      });
    });
    this.#child.on('error', () => {});
    this.#child.on('message', (message: MemberMessage) => {
      switch (message.type) {
        case 'ready':
          markReady();
          break;
        case 'failed':
          failReady(new Error(`fleet member ${index} failed to start: ${message.error}`));
          break;
        case 'reply': {
          const waiter = this.#pending.get(message.id);
          this.#pending.delete(message.id);
          if (message.error !== undefined) waiter?.reject(new Error(`fleet member ${index}: ${message.error}`));
          else waiter?.resolve(message.result);
          break;
        }
        case 'event': {
          const event = { member: index, name: message.name, fields: message.fields, at: message.at };
          this.events.push(event);
          onEvent(event);
          break;
        }
      }
    });
  }

  get alive(): boolean {
    return !this.#gone;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  send<C extends MemberCommand>(command: C): Promise<Reply<C>> {
    if (this.#gone) return Promise.reject(new Error(`fleet member ${this.index} is gone`));
    const id = this.#nextId++;
    return new Promise<Reply<C>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve, reject });
      this.#child.send({ ...command, id }, (error) => {
        if (error && this.#pending.delete(id)) reject(error);
      });
    });
  }

  /** SIGKILL: no goodbye, no cleanup; waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.#gone) this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** Asks it to quit (close its Redis client, exit 0); kills it if it does not within a few seconds. */
  async stop(): Promise<void> {
    if (this.#gone) return;
    this.send({ command: 'quit' }).catch(() => {});
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), QUIT_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export class Fleet {
  readonly members: Member[];
  /** Every member's events, in the order the parent received them. */
  readonly events: FleetEvent[] = [];
  readonly #listeners = new Set<(event: FleetEvent) => void>();

  private constructor(options: FleetOptions) {
    this.members = Array.from({ length: options.size }, (_, index) => new Member(index, options, (event) => this.#received(event)));
  }

  /** Forks the members; `ready()` tells when they can take commands. */
  static fork(options: FleetOptions): Fleet {
    return new Fleet(options);
  }

  /** Waits until each member has its Redis client connected and its handle made; stops them all if one does not. */
  async ready(): Promise<void> {
    try {
      await withTimeout(Promise.all(this.members.map((member) => member.ready)), READY_TIMEOUT_MS, 'fleet members did not start');
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  get alive(): Member[] {
    return this.members.filter((member) => member.alive);
  }

  /** Sends `command` to every member still alive, at once, and waits for all their replies. */
  all<C extends MemberCommand>(command: C): Promise<Reply<C>[]> {
    return Promise.all(this.alive.map((member) => member.send(command)));
  }

  /** The events named `name`, of every member or of one. */
  eventsNamed(name: string, member?: number): FleetEvent[] {
    return this.events.filter((event) => event.name === name && (member === undefined || event.member === member));
  }

  /** Resolves with the first event (from now on, or already received when `past`) that matches. */
  nextEvent(match: (event: FleetEvent) => boolean, timeoutMs: number, past = false): Promise<FleetEvent> {
    const seen = past ? this.events.find(match) : undefined;
    if (seen) return Promise.resolve(seen);
    let listener!: (event: FleetEvent) => void;
    const found = new Promise<FleetEvent>((resolve) => {
      listener = (event) => {
        if (match(event)) resolve(event);
      };
      this.#listeners.add(listener);
    });
    return withTimeout(found, timeoutMs, 'no such fleet event').finally(() => this.#listeners.delete(listener));
  }

  async kill(index: number): Promise<void> {
    await this.members[index].kill();
  }

  /** Stops every member: quit, or SIGKILL when one does not. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop()));
  }

  #received(event: FleetEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }
}

/**
 * Fleets stopped after each test of the enclosing describe (and after all, for one left
 * over by a failed hook): no member outlives its test, even when the test failed.
 */
export function useFleet(): { start(options: FleetOptions): Promise<Fleet> } {
  const started: Fleet[] = [];
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((fleet) => fleet.stop()));
  };
  afterEach(stopAll, QUIT_TIMEOUT_MS * 2);
  afterAll(stopAll, QUIT_TIMEOUT_MS * 2);
  return {
    async start(options) {
      const fleet = Fleet.fork(options);
      started.push(fleet);
      await fleet.ready();
      return fleet;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
