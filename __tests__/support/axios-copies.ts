import http from 'node:http';
import type { LookupFunction } from 'node:net';
import axios, { type AxiosStatic } from 'axios';

/**
 * The copies of axios a test runs against, each a separate module with its own classes:
 * the one `import 'axios'` gives (the current 1.x, or 1.6.0 in the lowest-axios project),
 * and axios 0.27.2 (devDependency `axios-legacy`), whose headers are plain objects.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- typed as the current axios's AxiosStatic, as the tests use it, not by axios 0.27's own declarations
const legacy = require('axios-legacy') as AxiosStatic;

export const axiosCopies: readonly (readonly [string, AxiosStatic])[] = [
  [`axios ${axios.VERSION}`, axios],
  [`axios ${legacy.VERSION}`, legacy],
];

/**
 * Resolves `localhost` and every `*.localhost` to 127.0.0.1, so that a test can redirect
 * from `localhost` to a subdomain of it (this machine's resolver knows only `localhost`).
 */
const loopbackLookup = ((hostname: string, options: { all?: boolean } | undefined, callback: (...args: unknown[]) => void) => {
  if (hostname !== 'localhost' && !hostname.endsWith('.localhost')) {
    callback(Object.assign(new Error(`not a loopback name: ${hostname}`), { code: 'ENOTFOUND' }));
  } else if (options?.all) {
    callback(null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    callback(null, '127.0.0.1', 4);
  }
}) as unknown as LookupFunction;

/** An http agent for `*.localhost` names. */
export function loopbackAgent(): http.Agent {
  return new http.Agent({ lookup: loopbackLookup });
}
