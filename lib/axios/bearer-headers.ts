/**
 * How many of its latest Authorization values the plugin recognizes as its own on a
 * failed request. Tokens change once per lifetime, so a request would have to outlive
 * this many renewals to be missed (and then it is simply not replayed).
 */
const RECOGNIZED_HEADERS = 16;

/**
 * The `Authorization: Bearer …` values this plugin attaches (RFC 6750 §2.1). It builds
 * each value once per token, and remembers the latest ones, newest first, so that a
 * failed request still carrying one of them can be told apart as ours.
 */
export class BearerHeaders {
  readonly #recent: string[] = [];
  #lastToken: string | undefined;
  #lastHeader = '';

  /** The header value for `token`; the same string for as long as the token is the same. */
  for(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#lastHeader = `Bearer ${token}`;
      this.#recent.unshift(this.#lastHeader);
      if (this.#recent.length > RECOGNIZED_HEADERS) this.#recent.pop();
    }
    return this.#lastHeader;
  }

  /** Whether `value` is one of the header values this plugin attached lately. An arrow, so it can be passed around. */
  readonly isOurs = (value: unknown): value is string => typeof value === 'string' && this.#recent.includes(value);

  /** The values this plugin attached lately, newest first. */
  get recent(): readonly string[] {
    return this.#recent;
  }
}

/** The token inside a header value made by BearerHeaders. */
export function tokenOf(header: string): string {
  return header.slice('Bearer '.length);
}
