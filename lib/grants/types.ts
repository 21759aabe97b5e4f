/**
 * Adds a grant's own parameters to one token request body, right after `grant_type`
 * (RFC 6749 §4.3.2, RFC 7523 §2.1). Asynchronous where a grant asks for a fresh value
 * (the jwt-bearer assertion). The values live only in the closure, so neither inspecting
 * nor serializing the function reveals them.
 */
export type GrantParameters = (body: URLSearchParams) => void | Promise<void>;
