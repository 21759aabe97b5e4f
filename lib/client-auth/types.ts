/**
 * Adds the client's credentials to one token request: headers (a Basic header) or form
 * parameters (a secret, a client assertion). Asynchronous where a method signs a fresh
 * assertion or reads one from elsewhere. The credentials live only in the closure, so
 * neither inspecting nor serializing an authenticator reveals them.
 */
export type ClientAuthentication = (headers: Record<string, string>, body: URLSearchParams) => void | Promise<void>;
