export { oauth2, type OAuth2Handle } from './oauth2';
export type {
  OAuth2Options,
  TokenEndpointAuthMethod,
  GrantType,
  AssertionSource,
  SigningAlgorithm,
  PrivateKeyInput,
  ClientAssertionSource,
} from './options';
export { clientAssertionFromFile } from './client-auth/assertion-sources';
export {
  ErrorCode,
  OAuth2Error,
  InvalidOptionsError,
  TokenEndpointError,
  InvalidTokenResponseError,
  TokenRequestError,
  TokenTimeoutError,
  ClientAssertionError,
  GrantAssertionError,
  type TokenEndpointErrorFields,
} from './errors';
