import axios, { type AxiosInstance } from 'axios';
import { AuthorizationServer, type AuthorizationServerOptions } from '../../examples/servers/authorization-server';
import { ResourceServer } from '../../examples/servers/resource-server';

export const CLIENT_ID = 'billing-service';
export const CLIENT_SECRET = 's3cr3t-Zq9!xV';

export interface Servers {
  auth: AuthorizationServer;
  api: ResourceServer;
  /** A fresh axios instance with `baseURL` set to the resource server. */
  newApi(): AxiosInstance;
  stop(): Promise<void>;
}

/** Starts an authorization server and a protected API on 127.0.0.1, port 0. */
export async function startServers(options: Partial<AuthorizationServerOptions> = {}): Promise<Servers> {
  const auth = await new AuthorizationServer({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...options }).start();
  const api = await new ResourceServer((token) => auth.isValid(token)).start();
  return {
    auth,
    api,
    newApi: () => axios.create({ baseURL: api.url }),
    stop: async () => {
      await Promise.all([auth.stop(), api.stop()]);
    },
  };
}

/** The options that authenticate against `startServers()`'s authorization server. */
export function clientOptions(servers: Servers) {
  return { tokenEndpoint: servers.auth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
}

/**
 * Starts fresh servers before each test of the enclosing describe and stops them after
 * it (putting back real timers, for tests that faked the clock). The returned object is
 * filled in before each test.
 */
export function useServers(options: Partial<AuthorizationServerOptions> = {}): Servers {
  const servers = {} as Servers;
  beforeEach(async () => {
    Object.assign(servers, await startServers(options));
  });
  afterEach(async () => {
    jest.useRealTimers();
    await servers.stop();
  });
  return servers;
}
