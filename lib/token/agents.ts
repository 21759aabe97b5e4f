import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Liveness } from './liveness';

/** The agents a token request is sent with, as axios request options. */
export interface AgentOptions {
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
}

/** Chooses the agents of each token request. */
export type TokenAgents = (liveness: Liveness) => AgentOptions;

/**
 * Agents of the token requests' own, for each protocol the backend brings no agent for
 * (the backend's own apply as they are, and a background renewal through them may keep
 * the process alive).
 *
 * Never the app's agents: a socket pooled in an agent the app shares (http.globalAgent)
 * points at the last request it carried, so an unrelated error of the app, inspected
 * deeply, would reach the Basic credentials through it.
 *
 * Two pairs: one for requests a caller waits for, one for background renewals whose
 * sockets do not keep the process alive until a caller starts waiting. Idle keep-alive
 * sockets of a Node agent never keep it alive.
 */
export function createTokenAgents(backendAgents: AgentOptions): TokenAgents {
  const foreground: AgentOptions = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  const http_ = new (unrefUntilHeld(http.Agent))({ keepAlive: true });
  const https_ = new (unrefUntilHeld(https.Agent))({ keepAlive: true });
  const background: AgentOptions = { httpAgent: http_, httpsAgent: https_ as unknown as https.Agent };
  // The backend's own agent for a protocol wins; ours serve the protocol it left out.
  const withBackends = (ours: AgentOptions): AgentOptions => ({
    ...(backendAgents.httpAgent ? {} : { httpAgent: ours.httpAgent }),
    ...(backendAgents.httpsAgent ? {} : { httpsAgent: ours.httpsAgent }),
  });
  const foregroundOrBackends = withBackends(foreground);
  const backgroundOrBackends = withBackends(background);
  return (liveness) => {
    if (liveness.isHeld) return foregroundOrBackends;
    http_.keepsProcessAlive = https_.keepsProcessAlive = false;
    liveness.whenHeld(() => {
      http_.holdProcess();
      https_.holdProcess();
    });
    return backgroundOrBackends;
  };
}

type AgentClass = typeof http.Agent;

/** An agent whose sockets do not keep the process alive while `keepsProcessAlive` is false. */
function unrefUntilHeld<Base extends AgentClass>(Base: Base) {
  // The socket hooks of Node's Agent that the typings leave out.
  interface Hooks {
    createConnection(...args: unknown[]): Socket | undefined;
    reuseSocket(socket: Socket, request: unknown): void;
  }
  const hooks = Base.prototype as unknown as Hooks;
  return class extends (Base as AgentClass) {
    keepsProcessAlive = true;

    override createConnection(...args: unknown[]): Socket | undefined {
      const socket = hooks.createConnection.apply(this, args);
      if (!this.keepsProcessAlive) socket?.unref();
      return socket;
    }

    override reuseSocket(socket: Socket, request: unknown): void {
      hooks.reuseSocket.call(this, socket, request);
      if (!this.keepsProcessAlive) socket.unref();
    }

    /** A caller waits now: the sockets in use keep the process alive, as a request's should. */
    holdProcess(): void {
      this.keepsProcessAlive = true;
      for (const sockets of Object.values(this.sockets)) for (const socket of sockets ?? []) socket.ref();
    }
  };
}
