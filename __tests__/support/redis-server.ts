import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) on 127.0.0.1, for the
 * tests of the Redis token store. Nothing is persisted (`--save ''`, no AOF) and its
 * working directory is a temporary folder, so the project tree stays untouched.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Whether the process is up (not stopped or killed; a paused one is running). */
  readonly running: boolean;
  /** Shuts it down gracefully (SIGTERM) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL): connections drop without a goodbye. Waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was saved) and waits until it answers PING. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
  /** Stops it for good and removes its temporary folder. */
  dispose(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 5;

/** Starts `redis-server` on a free loopback port; retries on another port when the bind fails. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2-redis-test-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(port, dir);
      return new RedisServerProcess(port, dir, child);
    } catch (error) {
      if (error instanceof RedisNotInstalledError) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`Could not start redis-server after ${START_ATTEMPTS} attempts: ${messageOf(lastError)}`);
}

/**
 * Starts a redis-server before the tests of the enclosing describe and disposes of it
 * after them. After each test, it is started again if the test left it stopped or
 * killed, and resumed if it left it paused. The returned object is filled in by then.
 */
export function useRedisServer(): RedisServer {
  let server: RedisServer | undefined;
  const current = (): RedisServer => {
    if (!server) throw new Error('useRedisServer(): the server is only there inside the tests');
    return server;
  };
  beforeAll(async () => {
    server = await startRedisServer();
  }, STARTUP_TIMEOUT_MS * 2);
  afterEach(async () => {
    if (!server) return;
    server.resume();
    if (!server.running) await server.restart();
  }, STARTUP_TIMEOUT_MS * 2);
  afterAll(async () => {
    await server?.dispose();
    server = undefined;
  });
  return {
    get port() {
      return current().port;
    },
    get url() {
      return current().url;
    },
    get running() {
      return current().running;
    },
    stop: () => current().stop(),
    kill: () => current().kill(),
    restart: () => current().restart(),
    pause: () => {
      current().pause();
    },
    resume: () => {
      current().resume();
    },
    dispose: () => current().dispose(),
  };
}

class RedisNotInstalledError extends Error {
  constructor() {
    super(
      'redis-server is not on PATH: the Redis store tests need a real Redis. ' +
        'Install it with `apt-get install -y redis-server` (Debian; .ci/run does this before the tests).',
    );
  }
}

class RedisServerProcess implements RedisServer {
  readonly url: string;
  #child: ChildProcess | undefined;
  #paused = false;

  constructor(
    readonly port: number,
    private readonly dir: string,
    child: ChildProcess,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
    this.#child = child;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  stop(): Promise<void> {
    return this.#end('SIGTERM');
  }

  kill(): Promise<void> {
    return this.#end('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.#child) throw new Error('redis-server is already running');
    let lastError: unknown;
    // The port may linger for a moment after the previous process; Redis binds with SO_REUSEADDR.
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        this.#child = await launch(this.port, this.dir);
        return;
      } catch (error) {
        lastError = error;
        await sleep(100);
      }
    }
    throw new Error(`Could not restart redis-server on port ${this.port}: ${messageOf(lastError)}`);
  }

  pause(): void {
    if (!this.#child || this.#paused) return;
    this.#child.kill('SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    if (!this.#child || !this.#paused) return;
    this.#child.kill('SIGCONT');
    this.#paused = false;
  }

  async dispose(): Promise<void> {
    await this.#end('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const exited = exitOf(child);
    // A stopped process only acts on SIGTERM once it runs again.
    if (this.#paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    this.#paused = false;
    child.kill(signal);
    await exited;
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Spawns redis-server on `port` and waits until it answers PING; rejects (and kills it) when it exits or never answers. */
async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new RedisNotInstalledError() : error);
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`redis-server on port ${port} exited (${signal ?? `code ${code}`}) before answering: ${output.trim()}`));
    });
  });
  failed.catch(() => {
    // Seen by the race below, or too late to matter.
  });

  try {
    await Promise.race([failed, waitForPing(port, STARTUP_TIMEOUT_MS)]);
    return child;
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = exitOf(child);
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Whether something on 127.0.0.1:port answers an inline PING with +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('close', () => {
      done(false);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A port that was free a moment ago: bound on 127.0.0.1 port 0, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
