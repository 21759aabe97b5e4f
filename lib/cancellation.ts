/** The cancellation handles of a request config: an AbortSignal, or axios' legacy CancelToken. */
export interface Cancelable {
  signal?: { aborted?: boolean; addEventListener?: (type: 'abort', listener: () => void) => void; removeEventListener?: (type: 'abort', listener: () => void) => void } | undefined;
  cancelToken?: { reason?: unknown; subscribe?: (listener: (reason: unknown) => void) => void; unsubscribe?: (listener: (reason: unknown) => void) => void } | undefined;
}

/**
 * Raised by `unlessCanceled` when the request was canceled while it waited. Never reaches
 * the caller: the request is then handed back to axios, whose dispatch sees the abort and
 * raises the app's own cancel error (whichever axios copy it is), as if we were not there.
 */
export class CanceledWhileWaiting extends Error {}

/**
 * Waits for `start()` unless the request is canceled first (AbortSignal or CancelToken),
 * in which case it rejects at once with CanceledWhileWaiting. A request canceled before
 * it gets here starts nothing; otherwise the started promise (a fetch other requests may
 * share) is left running.
 */
export function unlessCanceled<T>(start: () => Promise<T>, { signal, cancelToken }: Cancelable): Promise<T> {
  if (!signal && !cancelToken) return start();
  return new Promise<T>((resolve, reject) => {
    const cancel = (): void => {
      stopListening();
      reject(new CanceledWhileWaiting());
    };
    const stopListening = (): void => {
      signal?.removeEventListener?.('abort', cancel);
      cancelToken?.unsubscribe?.(cancel);
    };
    if (isCanceled({ signal, cancelToken })) return cancel();
    signal?.addEventListener?.('abort', cancel);
    cancelToken?.subscribe?.(cancel);
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

/** Whether the request has been canceled already. */
export function isCanceled({ signal, cancelToken }: Cancelable): boolean {
  return signal?.aborted === true || (cancelToken !== undefined && cancelToken !== null && cancelToken.reason !== undefined);
}
