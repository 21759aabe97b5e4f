import axios, { AxiosHeaders } from 'axios';

/**
 * What the axios under test supports, for the few tests whose expected outcome depends on
 * it (`npm run test:lowest-axios` runs the suite on axios 1.6.0).
 */
const [major = 0, minor = 0] = axios.VERSION.split('.').map(Number);

/** The plugin's synchronous fast path is used from axios 1.19 on (see lib/interceptors.ts). */
export const hasSynchronousFastPath = major > 1 || (major === 1 && minor >= 19);

/** Whether axios knows the transitional option that chooses the interceptor order. */
export const hasInterceptorOrderingOption = 'legacyInterceptorReqResOrdering' in (axios.defaults.transitional ?? {});

/** Older axios drops headers set to false whenever it merges configs, replays included. */
export const mergeKeepsSuppressedHeaders =
  axios.mergeConfig({}, { headers: new AxiosHeaders({ 'X-Suppressed': false }) as never }).headers?.['X-Suppressed'] === false;
