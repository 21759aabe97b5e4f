// ESM entry: re-exports the CommonJS build, so `import` and `require()` share one copy
// of the library (one token cache, one set of error classes for instanceof).
import cjs from '../dist/index.js';

export const {
  oauth2,
  ErrorCode,
  OAuth2Error,
  InvalidOptionsError,
  TokenEndpointError,
  InvalidTokenResponseError,
  TokenRequestError,
  TokenTimeoutError,
} = cjs;
