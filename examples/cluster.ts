/**
 * A Node `cluster` Express service whose workers call a protected API through axios,
 * authorized with the plugin and `store: redisStore(redis)`: the workers share one token,
 * so the whole cluster makes one token request per token lifetime instead of one per worker.
 *
 *   npm run example:cluster        (= tsx examples/cluster.ts --demo)
 *     starts its own redis-server, authorization server and API on loopback, forks the
 *     workers, sends them a burst of requests, prints how many token requests the
 *     authorization server received for the whole cluster (1), shuts everything down;
 *     exits 0 when every request succeeded with that one token request, 1 otherwise.
 *
 *   TOKEN_ENDPOINT=https://auth.example.com/oauth2/token CLIENT_ID=... CLIENT_SECRET=... \
 *   API_URL=https://api.example.com REDIS_URL=redis://127.0.0.1:6379 WORKERS=4 PORT=3000 \
 *     npx tsx examples/cluster.ts
 *     the service itself: GET /reports/:id answers the API's /reports/:id.
 *
 * Environment: WORKERS (default 4), PORT (default 3000), HOST (default 127.0.0.1),
 * REDIS_URL (default redis://127.0.0.1:6379), TOKEN_ENDPOINT, CLIENT_ID, CLIENT_SECRET,
 * API_URL (required without --demo).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import axios from 'axios';
import { createClient } from 'redis';
// In an app: from 'axios-client-credentials'.
import { oauth2, redisStore } from '../lib';
import { AuthorizationServer } from './servers/authorization-server';
import { ResourceServer } from './servers/resource-server';

interface Config {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  redisUrl: string;
  port: number;
  host: string;
}

function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set (or run with --demo)`);
    return value;
  };
  return {
    tokenEndpoint: required('TOKEN_ENDPOINT'),
    clientId: required('CLIENT_ID'),
    clientSecret: required('CLIENT_SECRET'),
    apiUrl: required('API_URL'),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '127.0.0.1',
  };
}

const envOf = (config: Config): NodeJS.ProcessEnv => ({
  TOKEN_ENDPOINT: config.tokenEndpoint,
  CLIENT_ID: config.clientId,
  CLIENT_SECRET: config.clientSecret,
  API_URL: config.apiUrl,
  REDIS_URL: config.redisUrl,
  PORT: String(config.port),
  HOST: config.host,
});

// ---------------------------------------------------------------------------------------
// A worker: an Express app; every worker authorizes its axios instance with the same store.

async function runWorker(config: Config): Promise<void> {
  const log = (message: string): void => console.log(`[worker ${process.pid}] ${message}`);
  // The app's own Redis client: connecting, reconnecting and closing it stay the app's.
  const redis = createClient({ url: config.redisUrl });
  redis.on('error', (error: Error) => log(`redis: ${error.message}`));
  await redis.connect();

  const api = axios.create({ baseURL: config.apiUrl, timeout: 10_000 });
  const handle = oauth2(api, {
    tokenEndpoint: config.tokenEndpoint,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    // Shared by every worker (and every other process with the same client): tokens are
    // stored encrypted with a key derived from the client secret.
    store: redisStore(redis),
  });
  handle.on('token:issued', ({ source }) =>
    log(source === 'endpoint' ? 'fetched a token from the authorization server and shared it' : 'took the token another process shared'),
  );
  handle.on('store:unavailable', ({ errorMessage }) => log(`store unavailable (${errorMessage}): fetching on its own meanwhile`));

  const app = express();
  app.get('/reports/:id', (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    api
      .get<unknown>(`/reports/${encodeURIComponent(req.params.id)}`)
      .then(({ data }) => res.json({ worker: process.pid, report: data }), next);
  });
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  // Express knows an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(502).json({ error: 'upstream call failed', detail: error instanceof Error ? error.message : String(error) });
  });
  const server = app.listen(config.port, config.host);

  // Asked to stop (by the primary, or SIGTERM): stop accepting, finish what is in flight, close Redis.
  const shutdown = (): void => {
    server.close(() => {
      void redis.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('message', (message: unknown) => {
    if (message === 'shutdown') shutdown();
  });
  process.once('SIGTERM', shutdown);
}

// ---------------------------------------------------------------------------------------
// The primary: forks the workers, forks a new one when one dies (unless shutting down).

interface Cluster {
  workers: Worker[];
  /** The port the workers listen on, once they all do. */
  listening: Promise<number>;
  shutdown(): Promise<void>;
}

function startCluster(config: Config, count: number): Cluster {
  let shuttingDown = false;
  const workers = new Set<Worker>();
  const fork = (): Worker => {
    const worker = cluster.fork(envOf(config));
    workers.add(worker);
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (shuttingDown) return;
      console.warn(`[primary] worker ${worker.process.pid} died (${signal || `code ${code}`}): forking another`);
      fork();
    });
    return worker;
  };
  const started = Array.from({ length: count }, fork);
  const listening = Promise.all(
    started.map((worker) => new Promise<number>((resolve) => worker.once('listening', ({ port }) => resolve(port)))),
  );
  return {
    workers: started,
    listening: listening.then(([port]) => port),
    async shutdown() {
      shuttingDown = true;
      await Promise.all(
        [...workers].map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once('exit', () => resolve());
              if (worker.isConnected()) worker.send('shutdown');
              setTimeout(() => worker.kill('SIGKILL'), 6_000).unref();
            }),
        ),
      );
    },
  };
}

async function runPrimary(config: Config, count: number): Promise<void> {
  const service = startCluster(config, count);
  const port = await service.listening;
  console.log(`[primary] ${count} workers on http://${config.host}:${port} (GET /reports/:id), tokens shared through ${config.redisUrl}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void service.shutdown().then(() => process.exit(0)));
  }
}

// ---------------------------------------------------------------------------------------
// --demo: everything on loopback, a burst, the count, and a clean exit.

const DEMO_CLIENT = { id: 'reports-service', secret: 'cluster-demo-secret' };
const BURST = 200;

async function runDemo(count: number): Promise<boolean> {
  const redisServer = await startRedisServer();
  const auth = await new AuthorizationServer({ clients: { [DEMO_CLIENT.id]: DEMO_CLIENT.secret }, expiresIn: 3600 }).start();
  const api = await new ResourceServer((token) => auth.isValid(token)).start();
  console.log(`[primary] demo: redis-server ${redisServer.url}, authorization server ${auth.tokenEndpoint}, API ${api.url}`);
  const config: Config = {
    tokenEndpoint: auth.tokenEndpoint,
    clientId: DEMO_CLIENT.id,
    clientSecret: DEMO_CLIENT.secret,
    apiUrl: api.url,
    redisUrl: redisServer.url,
    port: 0,
    host: '127.0.0.1',
  };
  const service = startCluster(config, count);
  try {
    const port = await service.listening;
    console.log(
      `[primary] ${count} workers listening on http://127.0.0.1:${port}; ${BURST} concurrent requests, each on a new connection (spread over the workers)`,
    );
    // No keep-alive: every request is a new connection, which the primary hands to the next worker.
    const agent = new http.Agent({ keepAlive: false });
    const results = await Promise.all(Array.from({ length: BURST }, (_, i) => getJson(`http://127.0.0.1:${port}/reports/${i}`, agent)));
    const byWorker = new Map<number, number>();
    let failed = 0;
    for (const result of results) {
      if (result.status === 200) byWorker.set(result.body.worker, (byWorker.get(result.body.worker) ?? 0) + 1);
      else failed++;
    }
    const tokenRequests = auth.requests.length;
    console.log(
      `[primary] answered 200: ${BURST - failed} of ${BURST}, by worker: ${[...byWorker].map(([pid, n]) => `${pid}: ${n}`).join(', ')}`,
    );
    console.log(`[primary] token requests the authorization server received for the whole cluster: ${tokenRequests}`);
    return failed === 0 && tokenRequests === 1;
  } finally {
    await service.shutdown();
    await Promise.all([auth.stop(), api.stop(), redisServer.stop()]);
    console.log('[primary] workers, servers and redis-server stopped');
  }
}

function getJson(url: string, agent: http.Agent): Promise<{ status: number; body: { worker: number } }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { worker: number } }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** A throwaway redis-server on a free loopback port: nothing persisted, working directory in /tmp. */
async function startRedisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createNetServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', (error) =>
      reject(new Error(`could not start redis-server (is it installed? apt-get install redis-server): ${error.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited (code ${code}): ${output}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  child.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------

if (cluster.isPrimary) {
  const count = Number(process.env.WORKERS ?? 4);
  if (!Number.isInteger(count) || count < 1) throw new Error(`WORKERS: expected a positive integer, got ${process.env.WORKERS}`);
  if (process.argv.includes('--demo')) {
    // A hung demo must not hang CI; unref'd so it never keeps a finished demo alive.
    setTimeout(() => {
      console.error('[primary] demo: still running after 30 s, giving up');
      process.exit(1);
    }, 30_000).unref();
    runDemo(count).then(
      (ok) => process.exit(ok ? 0 : 1),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else {
    runPrimary(configFromEnv(process.env), count).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  }
} else {
  runWorker(configFromEnv(process.env)).catch((error: unknown) => {
    console.error(`[worker ${process.pid}]`, error);
    process.exit(1);
  });
}
