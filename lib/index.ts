export { oauth2, type OAuth2Handle, type GetTokenOptions } from './oauth2';
export type {
  OAuth2Options,
  TokenEndpointAuthMethod,
  GrantType,
  AssertionSource,
  SigningAlgorithm,
  AsymmetricAlgorithm,
  HmacAlgorithm,
  PrivateKeyInput,
  ClientAssertionSource,
  TokenRetryOptions,
  Logger,
} from './options';
export type {
  OAuth2EventMap,
  OAuth2EventName,
  OAuth2Event,
  OAuth2Listener,
  EventName,
  ClientFields,
  FailureFields,
  FetchFields,
  TokenAttemptFields,
  TokenAttemptFailedFields,
  TokenIssuedFields,
  TokenFailedFields,
  TokenInvalidatedFields,
  CooldownRejectedFields,
  ReplayFields,
  StoreUnavailableFields,
  StoreAvailableFields,
} from './telemetry/events';
export { clientAssertionFromFile } from './client-auth/assertion-sources';
export { redisStore, type RedisClientLike } from './stores/redis';
export type { TokenStore, TokenStoreSettings } from './stores/token-store';
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
