import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';

/**
 * The instance that sends token requests: the app's own, or one made from a request
 * config by the axios this package is installed next to (its peer dependency). It is
 * only ever used for its own requests, so which copy of axios it comes from is of no
 * consequence. This is the one place in the library that imports axios at runtime.
 */
export function backendInstance(backend: AxiosInstance | AxiosRequestConfig | undefined): AxiosInstance {
  if (typeof backend === 'function') return backend;
  return axios.create(backend);
}
