import type { AxiosResponse } from 'axios';
import type { DispatchedConfig } from './dispatch';

/** The parts of an axios error this library reads. */
export interface AxiosErrorLike extends Error {
  isAxiosError: true;
  config?: DispatchedConfig;
  response?: AxiosResponse;
  request?: unknown;
}

/**
 * axios' own test, by its flag rather than by class: the error may come from any copy
 * or version of axios (0.27 sets the same flag), not only from the one this package sees.
 */
export function isAxiosError(error: unknown): error is AxiosErrorLike {
  return error !== null && typeof error === 'object' && (error as { isAxiosError?: unknown }).isAxiosError === true;
}
