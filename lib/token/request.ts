import type { AxiosInstance } from 'axios';
import { backendInstance } from '../axios/backend';
import { assertionEncodings, clientAuthentication, clientAuthSecrets, type ClientAuthentication } from '../client-auth';
import { grantAssertionEncodings, grantParameters, grantSecrets, type GrantParameters } from '../grants';
import { TokenRequestError, TokenTimeoutError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { Liveness } from './liveness';
import { createScrubber } from '../scrub';
import { createTokenAgents, type TokenAgents } from './agents';
import { processTokenResponse, type FetchToken, type IssuedToken } from './response';

/** Timeout of a token request when `backend` sets none, so a hanging server never hangs its callers. */
const DEFAULT_TOKEN_TIMEOUT_MS = 10_000;
/** A token response is a few hundred bytes; refuse to buffer more than this. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

/**
 * Builds the function that performs one token request (RFC 6749 §4.4.2) through the
 * backend and turns the answer into an IssuedToken. It has no interceptor of the
 * authorized instance in its path, so it can never carry a bearer token.
 */
export function createTokenFetcher(options: ResolvedOptions): { fetchToken: FetchToken; timeoutMs: number } {
  const backend = backendInstance(options.backend);
  const timeout = positiveTimeout(backend.defaults.timeout) ?? DEFAULT_TOKEN_TIMEOUT_MS;
  const agents = createTokenAgents(backend.defaults);
  const addGrant = grantParameters(options.grant);
  const authenticate = clientAuthentication(options.clientId, options.clientAuth);
  const secrets = [...clientAuthSecrets(options.clientId, options.clientAuth), ...grantSecrets(options.grant)];
  const fetchToken: FetchToken = (liveness) =>
    requestToken(backend, options, { addGrant, authenticate }, { timeout, agents, liveness }, secrets);
  return { fetchToken, timeoutMs: timeout };
}

/** What one token request adds to its body: the grant's parameters and the client's credentials. */
interface Credentials {
  addGrant: GrantParameters;
  authenticate: ClientAuthentication;
}

interface Transport {
  timeout: number;
  agents: TokenAgents;
  liveness: Liveness;
}

async function requestToken(
  backend: AxiosInstance,
  options: ResolvedOptions,
  { addGrant, authenticate }: Credentials,
  { timeout, agents, liveness }: Transport,
  secrets: readonly string[],
): Promise<IssuedToken> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  // grant_type, the grant's own parameters, scope: the order of RFC 6749 §4.3.2 and RFC 7523 §2.1.
  const body = new URLSearchParams({ grant_type: options.grant.type });
  // May ask the jwt-bearer assertion function; a failure (GrantAssertionError) means nothing is sent.
  await addGrant(body);
  if (options.scope !== '') body.append('scope', options.scope);
  // May sign an assertion or read one from elsewhere; a failure (ClientAssertionError) means nothing is sent.
  await authenticate(headers, body);
  for (const [name, value] of options.extraParams) body.append(name, value);
  // Assertions are credentials for as long as they live: scrubbed like the secret.
  const clientAssertion = body.get('client_assertion');
  const grantAssertion = body.get('assertion');
  const scrub = createScrubber([
    ...secrets,
    ...(clientAssertion === null ? [] : assertionEncodings(clientAssertion)),
    ...(grantAssertion === null ? [] : grantAssertionEncodings(grantAssertion)),
  ]);

  // The answer is read where axios hands it over (validateStatus sees the status, the
  // last transformResponse the raw text), before the backend's response interceptors:
  // one that reshapes responses (`response => response.data`) cannot hide it.
  const answer: { status?: number; body?: unknown; retryAfter?: unknown } = {};
  // Our own deadline covers the whole exchange; axios' timeout alone is reset by a trickling server.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeout);
  // A background renewal nobody waits for must not keep the process alive (see Liveness).
  liveness.governTimer(timer);
  try {
    const response: unknown = await backend.request<unknown>({
      method: 'POST',
      url: options.tokenEndpoint,
      data: body.toString(),
      headers,
      // axios' own timer (a connect-phase setTimeout on newer axios) would hold the process
      // for a background renewal; our deadline bounds the request anyway.
      timeout: liveness.isHeld ? timeout : 0,
      signal: deadline.signal,
      ...agents(liveness),
      responseType: 'text',
      transformResponse: [
        (data: unknown, responseHeaders?: unknown) => {
          answer.body = data;
          answer.retryAfter = headerValue(responseHeaders, 'retry-after');
          return data;
        },
      ],
      validateStatus: (status: number) => {
        answer.status = status;
        return true;
      },
      maxRedirects: 0,
      maxContentLength: MAX_TOKEN_RESPONSE_BYTES,
    });
    // An adapter that answers without settling (a hand-written one) never asked validateStatus.
    answer.status ??= statusOf(response);
  } catch (error) {
    // A response interceptor of the backend may reject a response it did not like: the answer still stands.
    if (answer.status === undefined) throw toRequestError(error, deadline.signal.aborted, timeout);
  } finally {
    clearTimeout(timer);
  }
  if (answer.status === undefined) throw toRequestError(new Error('the backend gave no response'), false, timeout);
  return processTokenResponse(answer.status, answer.body, scrub, answer.retryAfter);
}

/** A response header by its lower-case name, from axios' AxiosHeaders (1.x) or plain object (0.27). */
function headerValue(headers: unknown, name: string): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  const { get } = headers as { get?: unknown };
  if (typeof get === 'function') return (get as (header: string) => unknown).call(headers, name);
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function statusOf(response: unknown): number | undefined {
  const status = (response as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function positiveTimeout(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * The AxiosError of a failed token request holds the form body and the Basic header in
 * its config: it never leaves this function. Callers get the message and code only.
 */
function toRequestError(error: unknown, deadlinePassed: boolean, timeout: number): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (deadlinePassed || code === 'ECONNABORTED' || code === 'ETIMEDOUT') return new TokenTimeoutError(timeout);
  const message = error instanceof Error ? error.message : String(error);
  const cause = new Error(message);
  if (typeof code === 'string') Object.assign(cause, { code });
  return new TokenRequestError(message, cause);
}
