import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { OutageState, ServerCommand, ServerMessage, ServerStats } from './protocol';

/** A command before it gets its correlation id. */
type Command = ServerCommand extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

/** The server child process, seen from the benchmark. */
export class BenchServers {
  readonly resourceUrl: string;
  readonly tokenEndpoint: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (message: ServerMessage & { type: 'reply' }) => void>();
  #nextId = 1;

  private constructor(child: ChildProcess, resourceUrl: string, tokenEndpoint: string) {
    this.#child = child;
    this.resourceUrl = resourceUrl;
    this.tokenEndpoint = tokenEndpoint;
    child.on('message', (message: ServerMessage) => {
      if (message.type !== 'reply') return;
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message);
    });
  }

  /** Forks the server process (inheriting tsx's loader flags) and waits until both servers listen. */
  static start(): Promise<BenchServers> {
    const child = fork(path.join(__dirname, 'server-process.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`server process exited with code ${code}`)));
      child.once('message', (message: ServerMessage) => {
        if (message.type === 'ready') resolve(new BenchServers(child, message.resourceUrl, message.tokenEndpoint));
      });
    });
  }

  /** Lifetime (`expires_in`, seconds) of the tokens issued from now on, and how long the token endpoint takes to answer. */
  async configure(expiresIn: number, delayMs: number): Promise<void> {
    await this.#call({ cmd: 'configure', expiresIn, delayMs });
  }

  /** Revokes every token issued so far: the resource server answers 401 to each of them. */
  async revokeAll(): Promise<void> {
    await this.#call({ cmd: 'revokeAll' });
  }

  async stats(): Promise<ServerStats> {
    const reply = await this.#call({ cmd: 'stats' });
    if (!reply.stats) throw new Error('server process sent no stats');
    return reply.stats;
  }

  /** Opens a gate to the token endpoint per name (see OutageState); resolves with each one's token endpoint URL. */
  async openGates(names: readonly string[]): Promise<Record<string, string>> {
    const reply = await this.#call({ cmd: 'openGates', names: [...names] });
    if (!reply.gates) throw new Error('server process sent no gates');
    return reply.gates;
  }

  /** Switches the token endpoint behind the gates to `state`; resolves with the stats at the moment of the switch. */
  async outage(state: OutageState): Promise<ServerStats> {
    const reply = await this.#call({ cmd: 'outage', state });
    if (!reply.stats) throw new Error('server process sent no stats');
    return reply.stats;
  }

  stop(): void {
    this.#child.removeAllListeners('exit');
    this.#child.disconnect();
  }

  #call(command: Command): Promise<ServerMessage & { type: 'reply' }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ ...command, id });
    });
  }
}
