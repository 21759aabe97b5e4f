export { oauth2, type OAuth2Handle } from './oauth2';
export type { OAuth2Options, TokenEndpointAuthMethod, GrantType } from './options';
export {
  ErrorCode,
  OAuth2Error,
  InvalidOptionsError,
  TokenEndpointError,
  InvalidTokenResponseError,
  TokenRequestError,
  TokenTimeoutError,
  type TokenEndpointErrorFields,
} from './errors';
