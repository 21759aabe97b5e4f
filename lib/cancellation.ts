import { CanceledError, type InternalAxiosRequestConfig } from 'axios';

/**
 * Waits for `start()` unless the request is canceled first (AbortSignal or CancelToken),
 * in which case it rejects at once with axios' own CanceledError. A request canceled
 * before it gets here starts nothing; otherwise the started promise (a fetch other
 * requests may share) is left running.
 */
export function unlessCanceled<T>(start: () => Promise<T>, config: InternalAxiosRequestConfig): Promise<T> {
  const { signal, cancelToken } = config;
  if (!signal && !cancelToken) return start();
  return new Promise<T>((resolve, reject) => {
    const cancel = (reason?: unknown): void => {
      stopListening();
      reject(reason instanceof CanceledError ? reason : canceledError(config));
    };
    const onAbort = (): void => cancel();
    const stopListening = (): void => {
      signal?.removeEventListener?.('abort', onAbort);
      cancelToken?.unsubscribe(cancel);
    };
    if (signal?.aborted) return cancel();
    if (cancelToken?.reason) return cancel(cancelToken.reason);
    signal?.addEventListener?.('abort', onAbort);
    cancelToken?.subscribe(cancel);
    start().then(
      (value) => {
        stopListening();
        resolve(value);
      },
      (error: unknown) => {
        stopListening();
        reject(error);
      },
    );
  });
}

/** axios' own cancel error. Its runtime signature is (message, config, request), unlike its typings. */
function canceledError(config: InternalAxiosRequestConfig): CanceledError<unknown> {
  const Canceled = CanceledError as unknown as new (message: string | undefined, config: InternalAxiosRequestConfig) => CanceledError<unknown>;
  return new Canceled(undefined, config);
}
