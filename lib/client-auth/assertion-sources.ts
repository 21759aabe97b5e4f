import { readFile, stat } from 'node:fs/promises';
import { assertionFrom, type AssertionSource } from '../assertion-source';
import { ClientAssertionError, InvalidOptionsError } from '../errors';
import { appendClientAssertion } from './jwt-assertion';
import type { ClientAuthentication } from './types';

/**
 * A client assertion made elsewhere (a workload identity: Kubernetes, Entra, SPIFFE):
 * the assertion itself, or a function asked for one before every token request.
 */
export type ClientAssertionSource = AssertionSource;

function fail(problem: string, options?: { cause?: unknown }): ClientAssertionError {
  return new ClientAssertionError(problem, options);
}

/**
 * Authenticates with an assertion someone else signed (RFC 7521 §4.2, RFC 7523 §2.2). A
 * function source is called for every token request, so a rotated assertion is picked
 * up without restarting; what it returns is checked before it is sent.
 */
export function suppliedAssertion(clientId: string, source: ClientAssertionSource): ClientAuthentication {
  return async (_headers, body) => {
    appendClientAssertion(body, clientId, await assertionFrom(source, fail, { option: 'clientAssertion', expected: 'the assertion' }));
  };
}

/**
 * A `clientAssertion` source reading the assertion from a file that is rotated in place:
 * a Kubernetes projected service-account token, Entra's `AZURE_FEDERATED_TOKEN_FILE`, a
 * SPIFFE JWT-SVID. The file is read again whenever it changed since the last read (its
 * inode, size, or modification or change time in nanoseconds differ: Kubernetes swaps a
 * symlink, editors rewrite), and not otherwise. Nothing watches it in between, so it holds
 * no file handle and never keeps the process alive. A missing, unreadable or empty file
 * fails the token request with a ClientAssertionError naming the path.
 *
 * @example
 * oauth2(api, {
 *   tokenEndpoint: 'https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token',
 *   clientId: process.env.AZURE_CLIENT_ID,
 *   clientAssertion: clientAssertionFromFile(process.env.AZURE_FEDERATED_TOKEN_FILE),
 *   scope: 'https://graph.microsoft.com/.default',
 * });
 */
export function clientAssertionFromFile(path: string): () => Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidOptionsError(
      'clientAssertion',
      'clientAssertionFromFile() expects the path of the assertion file as a non-empty string',
    );
  }
  let cached: { version: string; assertion: string } | undefined;
  return async function readClientAssertionFile(): Promise<string> {
    const version = await fileVersion(path);
    if (cached?.version === version) return cached.assertion;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw fileError(path, error);
    }
    const assertion = text.trim();
    if (assertion === '') throw new ClientAssertionError(`the client assertion file ${path} is empty`, { path });
    cached = { version, assertion };
    return assertion;
  };
}

async function fileVersion(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true });
    if (!info.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch (error) {
    throw fileError(path, error);
  }
}

/** The file system error reduced to its code and message (which name the path, never the content). */
function fileError(path: string, error: unknown): ClientAssertionError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = code === 'ENOENT' ? 'does not exist' : `could not be read (${typeof code === 'string' ? code : 'unknown error'})`;
  const cause = new Error(error instanceof Error ? error.message : String(error));
  if (typeof code === 'string') Object.assign(cause, { code });
  return new ClientAssertionError(`the client assertion file ${path} ${reason}`, { path, cause });
}
