/**
 * The four clients under test, each set up the way its README shows, each with its own
 * OAuth client id so the authorization server can count its token requests.
 */
import type http from 'node:http';
import axios, { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import { clientCredentials } from 'axios-oauth-client';
import tokenProvider from 'axios-token-interceptor';
import { oauth2 } from '../lib';
import { CLIENT_SECRETS } from './protocol';

/**
 * `control` is a second baseline client, identical but for its client id: its ratio to
 * the baseline shows how far two equal clients drift apart in one run (an A/A test).
 */
export const CONTENDERS = ['baseline', 'plugin', 'oauth-client', 'auth-refresh', 'control'] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/** The contenders that fetch tokens themselves. */
export const TOKEN_CONTENDERS = ['plugin', 'oauth-client', 'auth-refresh'] as const satisfies readonly ContenderName[];

export const LABELS: Readonly<Record<ContenderName, string>> = {
  baseline: 'axios, static Bearer header (baseline)',
  control: 'A/A control: a second baseline client',
  plugin: 'axios-client-credentials (this plugin)',
  'oauth-client': 'axios-oauth-client + axios-token-interceptor',
  'auth-refresh': 'axios-auth-refresh + hand-written refresh',
};

/** The protected resource every request asks for. */
export const RESOURCE_PATH = '/api/items/42';

export interface Endpoints {
  resourceUrl: string;
  tokenEndpoint: string;
}

export interface ClientSetup {
  /** Keep-alive agent for the resource requests. */
  agent?: http.Agent;
  /** Replaces the network (the in-process cost measurement). */
  adapter?: AxiosAdapter;
}

/** One request through a contender, optionally with extra headers; resolves with the response, rejects as axios does. */
export type Send = (headers?: Record<string, string>) => Promise<unknown>;

export async function createClient(name: ContenderName, endpoints: Endpoints, setup: ClientSetup = {}): Promise<Send> {
  const instance = axios.create({ baseURL: endpoints.resourceUrl, httpAgent: setup.agent, adapter: setup.adapter });
  await SETUPS[name](instance, endpoints);
  return (headers) => (headers === undefined ? instance.get(RESOURCE_PATH) : instance.get(RESOURCE_PATH, { headers }));
}

/** How each contender authorizes an axios instance (the outage scenario reuses the peers). */
export const SETUPS: Readonly<Record<ContenderName, (instance: AxiosInstance, endpoints: Endpoints) => void | Promise<void>>> = {
  /** The physical limit of the design: a token fetched once, sent as a default header. */
  baseline: (instance, endpoints) => staticHeader(instance, endpoints, 'baseline'),
  control: (instance, endpoints) => staticHeader(instance, endpoints, 'control'),

  plugin(instance, { tokenEndpoint }) {
    oauth2(instance, { tokenEndpoint, clientId: 'plugin', clientSecret: CLIENT_SECRETS.plugin });
  },

  /** axios-oauth-client fetches, axios-token-interceptor caches for expires_in and attaches (both READMEs). */
  'oauth-client'(instance, { tokenEndpoint }) {
    const getClientCredentials = clientCredentials(axios.create(), tokenEndpoint, 'oauth-client', CLIENT_SECRETS['oauth-client']);
    // axios-oauth-client is typed `any` throughout; its function resolves to the token response's body.
    const cache = tokenProvider.tokenCache<TokenBody>(() => getClientCredentials(undefined /* no scope */) as Promise<TokenBody>, {
      getMaxAge: (body) => body.expires_in * 1000,
    });
    instance.interceptors.request.use(
      tokenProvider<TokenBody>({ getToken: cache, headerFormatter: (body) => `Bearer ${body.access_token}` }),
    );
  },

  /**
   * axios-auth-refresh's README: the token lives in a variable (its localStorage), a
   * request interceptor sends it, and the refresh logic (here a client-credentials token
   * request) runs on a 401 and patches the failed request. It starts with no token.
   */
  'auth-refresh'(instance, { tokenEndpoint }) {
    let accessToken: string | null = null;
    const refreshAuthLogic = (failedRequest: AxiosError): Promise<void> =>
      fetchToken(tokenEndpoint, 'auth-refresh').then((token) => {
        accessToken = token;
        failedRequest.response!.config.headers.Authorization = `Bearer ${token}`;
        return Promise.resolve();
      });
    createAuthRefresh(instance, refreshAuthLogic);
    instance.interceptors.request.use((request) => {
      request.headers.Authorization = `Bearer ${accessToken}`;
      return request;
    });
  },
};

async function staticHeader(instance: AxiosInstance, { tokenEndpoint }: Endpoints, clientId: string): Promise<void> {
  const token = await fetchToken(tokenEndpoint, clientId);
  instance.defaults.headers.common.Authorization = `Bearer ${token}`;
}

interface TokenBody {
  access_token: string;
  expires_in: number;
}

const tokenClient = axios.create();

/** A hand-written client-credentials token request (RFC 6749 §4.4.2). */
async function fetchToken(tokenEndpoint: string, clientId: string): Promise<string> {
  const response = await tokenClient.post<TokenBody>(tokenEndpoint, new URLSearchParams({ grant_type: 'client_credentials' }), {
    auth: { username: clientId, password: CLIENT_SECRETS[clientId] },
  });
  return response.data.access_token;
}

const OK_BODY = { ok: true, path: RESOURCE_PATH };

/**
 * An adapter that answers at once, without I/O: 200 when a bearer token is present,
 * 401 for `Bearer null` (axios-auth-refresh before its first refresh) or no header.
 */
export const noNetworkAdapter: AxiosAdapter = (config: InternalAxiosRequestConfig) => {
  const authorization = (config.headers as AxiosHeaders).get('Authorization');
  const status = typeof authorization === 'string' && authorization !== 'Bearer null' ? 200 : 401;
  const response = { data: OK_BODY, status, statusText: status === 200 ? 'OK' : 'Unauthorized', headers: {}, config, request: {} };
  if (status === 200) return Promise.resolve(response);
  return Promise.reject(new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, {}, response));
};
