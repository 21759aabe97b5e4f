import axios from 'axios';

/**
 * What the axios under test supports, for the few tests whose expected outcome depends on
 * it (jest.config.js runs the suite on the current axios, 1.6.0 and 0.27.2).
 */

/** Whether axios knows the transitional option that chooses the interceptor order. */
export const hasInterceptorOrderingOption = 'legacyInterceptorReqResOrdering' in (axios.defaults.transitional ?? {});
