// axios-token-interceptor ships no types; this is the part of its API the benchmark uses.
declare module 'axios-token-interceptor' {
  import type { InternalAxiosRequestConfig } from 'axios';

  interface TokenProviderOptions<T> {
    token?: string;
    getToken?: () => T | Promise<T>;
    header?: string;
    headerFormatter?: (token: T) => string;
  }

  interface TokenCache<T> {
    (): Promise<T>;
    reset(): void;
  }

  function tokenProvider<T = string>(
    options: TokenProviderOptions<T>,
  ): (config: InternalAxiosRequestConfig) => Promise<InternalAxiosRequestConfig>;

  namespace tokenProvider {
    function tokenCache<T>(getToken: () => Promise<T>, options: { maxAge?: number; getMaxAge?: (token: T) => number }): TokenCache<T>;
  }

  export = tokenProvider;
}
