/**
 * Child process: the loopback authorization server and resource server of
 * examples/servers, driven by the benchmark over IPC (see protocol.ts).
 *
 * The resource server enforces expiry: a token is refused once `expires_in` seconds have
 * passed since its token response was sent. Without that, a client that ignores expiry
 * would look as good as one that renews in time. It also tells which requests waited
 * for a token fetch: those carrying a token issued after the request was started.
 */
import net, { type AddressInfo } from 'node:net';
import { AuthorizationServer, type ReceivedTokenRequest } from '../examples/servers/authorization-server';
import { ResourceServer, type ReceivedResourceRequest } from '../examples/servers/resource-server';
import {
  CLIENT_SECRETS,
  clock,
  STARTED_AT_HEADER,
  type OutageState,
  type ServerCommand,
  type ServerMessage,
  type ServerStats,
} from './protocol';

interface IssuedToken {
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  /** The client's first token since the last `configure`: the cold fetch everyone waits for. */
  isFirst: boolean;
}

async function main(): Promise<void> {
  const auth = await new AuthorizationServer({ clients: { ...CLIENT_SECRETS }, expiresIn: 3600 }).start();
  const issued = new Map<string, IssuedToken>();
  let servedSinceConfigure = new Set<string>();
  // The override hook runs right before the answer is written; returning false lets the
  // server answer as usual. 'answered' comes after 'finish', by which time the client may
  // already hold the token and have used it, so its time would make issuance look late.
  const answeringSince = new WeakMap<ReceivedTokenRequest, number>();
  let outage: OutageState = 'up';
  auth.override = (_req, res, received) => {
    if (outage === '503') {
      // What a load balancer says for a server that is down: no body the client could take for an OAuth error.
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Content-Length': 19 });
      res.end('Service Unavailable');
      return true;
    }
    answeringSince.set(received, clock());
    return false;
  };
  auth.on('answered', (received: ReceivedTokenRequest) => {
    const { answer, credentials } = received;
    if (answer?.token === undefined) return;
    const clientId = credentials?.clientId ?? '(none)';
    const issuedAt = answeringSince.get(received) ?? clock();
    const expiresAt = answer.expiresIn === undefined ? Infinity : issuedAt + answer.expiresIn * 1000;
    issued.set(answer.token, { clientId, issuedAt, expiresAt, isFirst: !servedSinceConfigure.has(clientId) });
    servedSinceConfigure.add(clientId);
  });
  const isValid = (token: string): boolean => auth.isValid(token) && clock() < (issued.get(token)?.expiresAt ?? Infinity);

  const resource = new ResourceServer(isValid);
  resource.record = false;
  let refused = 0;
  const waitedAfterFirst: Record<string, number> = {};
  resource.on('answered', ({ status, headers }: ReceivedResourceRequest) => {
    if (status === 401) refused++;
    const startedAt = Number(headers[STARTED_AT_HEADER]);
    if (!Number.isFinite(startedAt)) return;
    const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    const info = token === undefined ? undefined : issued.get(token);
    // A token issued after the request started: the request waited for that fetch.
    if (info && !info.isFirst && info.issuedAt > startedAt) waitedAfterFirst[info.clientId] = (waitedAfterFirst[info.clientId] ?? 0) + 1;
  });
  await resource.start();

  const gates = new Map<string, Gate>();
  const authPort = Number(new URL(auth.url).port);
  const stats = (): ServerStats => {
    const tokenRequests: Record<string, number> = {};
    for (const request of auth.requests) {
      const clientId = request.credentials?.clientId ?? '(none)';
      tokenRequests[clientId] = (tokenRequests[clientId] ?? 0) + 1;
    }
    const resetConnections = Object.fromEntries([...gates].map(([name, gate]) => [name, gate.reset]));
    return { tokenRequests, waitedAfterFirst: { ...waitedAfterFirst }, refused, resetConnections };
  };

  const send = (message: ServerMessage): void => {
    process.send?.(message);
  };

  process.on('message', (command: ServerCommand) => {
    switch (command.cmd) {
      case 'configure':
        auth.expiresIn = command.expiresIn;
        auth.delayMs = command.delayMs;
        servedSinceConfigure = new Set();
        send({ type: 'reply', id: command.id });
        return;
      case 'revokeAll':
        auth.revokeAll();
        send({ type: 'reply', id: command.id });
        return;
      case 'stats':
        send({ type: 'reply', id: command.id, stats: stats() });
        return;
      case 'openGates':
        return void Promise.all(
          command.names.map(async (name) => {
            const gate = gates.get(name) ?? (await openGate(authPort, () => outage));
            gates.set(name, gate);
            return [name, `${gate.url}/oauth2/token`] as const;
          }),
        ).then((urls) => send({ type: 'reply', id: command.id, gates: Object.fromEntries(urls) }));
      case 'outage': {
        // The stats first: what arrived before the switch belongs to the state before it.
        const atSwitch = stats();
        outage = command.state;
        if (outage === 'reset') for (const gate of gates.values()) gate.dropForwarded();
        send({ type: 'reply', id: command.id, stats: atSwitch });
        return;
      }
    }
  });
  // The benchmark owns this process: when it goes away, so do we.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', resourceUrl: resource.url, tokenEndpoint: auth.tokenEndpoint });
}

interface Gate {
  url: string;
  /** Connections reset in the `reset` state. */
  reset: number;
  /** Resets the connections it is forwarding: an outage breaks those too. */
  dropForwarded(): void;
}

/**
 * A client's own front door to the authorization server (see OutageState): a TCP
 * forwarder while the token endpoint is up, and while it answers 503; in the `reset`
 * state it resets every connection at once and counts it.
 */
async function openGate(authPort: number, state: () => OutageState): Promise<Gate> {
  const forwarded = new Set<net.Socket>();
  const gate: Gate = {
    url: '',
    reset: 0,
    dropForwarded() {
      for (const socket of forwarded) socket.resetAndDestroy();
      forwarded.clear();
    },
  };
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (state() === 'reset') {
      gate.reset++;
      socket.on('error', () => {});
      socket.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ port: authPort, host: '127.0.0.1', noDelay: true });
    forwarded.add(socket);
    const close = (): void => {
      forwarded.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    for (const end of [socket, upstream]) {
      end.on('error', close);
      end.on('close', close);
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gate;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
