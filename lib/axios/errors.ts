import type { AxiosInstance, AxiosResponse } from 'axios';
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

type AxiosErrorClass = new (message: string, code: string, config: unknown) => Error;

/** What a timeout error is built from: the request's timeout settings. */
export interface TimeoutSettings {
  timeout?: number;
  timeoutErrorMessage?: string;
  transitional?: { clarifyTimeoutError?: boolean };
}

/**
 * The timeout error the app's axios raises when a request's `timeout` passes: its own
 * AxiosError class (so `instanceof` holds for the app's copy), `ECONNABORTED`, or
 * `ETIMEDOUT` under `transitional.clarifyTimeoutError`, with axios' message.
 */
export async function axiosTimeoutError(client: AxiosInstance, config: TimeoutSettings, timeout: number): Promise<Error> {
  const AxiosError = await axiosErrorClassOf(client);
  const code = config.transitional?.clarifyTimeoutError ? 'ETIMEDOUT' : 'ECONNABORTED';
  const message = config.timeoutErrorMessage ?? `timeout of ${timeout}ms exceeded`;
  if (AxiosError !== undefined) return new AxiosError(message, code, config);
  return Object.assign(new Error(message), { name: 'AxiosError', isAxiosError: true, code, config });
}

const errorClasses = new WeakMap<AxiosInstance, Promise<AxiosErrorClass | undefined>>();

/**
 * The AxiosError class of the copy of axios `client` comes from. No instance exposes it,
 * so it is learned once from the cancel error that copy raises for an aborted request
 * (which never reaches the adapter): CanceledError extends AxiosError in 0.27 and 1.x.
 */
function axiosErrorClassOf(client: AxiosInstance): Promise<AxiosErrorClass | undefined> {
  let learned = errorClasses.get(client);
  if (learned === undefined) {
    const neverSent = (): Promise<never> => Promise.reject(new Error('not sent'));
    learned = client.request({ url: 'http://127.0.0.1/', signal: AbortSignal.abort(), adapter: neverSent } as never).then(
      () => undefined,
      (canceled: unknown) => {
        const ownClass = (canceled as { constructor?: { prototype?: object } }).constructor;
        const parent = (Object.getPrototypeOf(ownClass?.prototype ?? {}) as { constructor?: unknown } | null)?.constructor as
          AxiosErrorClass | undefined;
        return isAxiosError(canceled) && typeof parent === 'function' && parent !== Error ? parent : undefined;
      },
    );
    errorClasses.set(client, learned);
  }
  return learned;
}
