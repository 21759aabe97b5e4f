import type { AxiosInstance } from 'axios';
import { InvalidOptionsError } from './errors';
import { installInterceptors } from './axios/interceptors';
import { isAxiosInstance, resolveOptions, type OAuth2Options } from './options';
import { createOriginFilter } from './axios/origins';
import { createTokenFetcher } from './token/request';
import { TokenManager } from './token/manager';

/** What `oauth2()` returns: a handle on the token and on the interceptors it installed. */
export interface OAuth2Handle {
  /** The current access token, fetching one if none is cached (shared with concurrent requests). */
  getToken(): Promise<string>;
  /** Drops the cached token; the next request fetches a new one. */
  invalidate(): void;
  /** Removes both interceptors: the instance behaves as before `oauth2()` was called. */
  eject(): void;
}

/**
 * Gives `instance` OAuth2 authentication: tokens from the client-credentials grant (RFC
 * 6749 §4.4, the default), the password grant (§4.3) or the jwt-bearer grant (RFC 7523
 * §2.1), the client authenticating with a shared secret (`client_secret_basic`,
 * `client_secret_post`), a signed JWT (`private_key_jwt`, `client_secret_jwt`) or an
 * assertion from elsewhere (`clientAssertion`). Every request to an allowed origin
 * carries a cached bearer token, and a 401 answer is replayed with a fresh token up to
 * `retries` times. Throws InvalidOptionsError for bad options before anything is sent.
 */
export function oauth2(instance: AxiosInstance, options: OAuth2Options): OAuth2Handle {
  if (!isAxiosInstance(instance)) {
    throw new InvalidOptionsError('instance', 'expected an axios instance, e.g. axios.create({ baseURL })');
  }
  const resolved = resolveOptions(options);
  if (resolved.backend === instance) {
    // Its interceptors would attach our bearer token to the token request, and recurse.
    throw new InvalidOptionsError('backend', 'must not be the instance being authorized; pass another axios instance or a request config');
  }
  const manager = new TokenManager(createTokenFetcher(resolved), { defaultLifetimeMs: resolved.defaultLifetimeMs });
  const eject = installInterceptors(instance, {
    manager,
    retries: resolved.retries,
    origins: createOriginFilter(resolved.origins, () => instance.defaults.baseURL),
  });
  return new Handle(manager, eject);
}

/** Private fields keep the token manager (and through it the credentials) out of util.inspect. */
class Handle implements OAuth2Handle {
  readonly #manager: TokenManager;
  readonly #eject: () => void;

  constructor(manager: TokenManager, eject: () => void) {
    this.#manager = manager;
    this.#eject = eject;
  }

  // Arrow properties, so `const { getToken } = oauth2(...)` works too.
  readonly getToken = (): Promise<string> => this.#manager.getToken();
  readonly invalidate = (): void => this.#manager.invalidate();
  readonly eject = (): void => this.#eject();
}
