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
    let stopListeningToSignal = (): void => {};
    const stopListening = (): void => {
      stopListeningToSignal();
      cancelToken?.unsubscribe?.(cancel);
    };
    if (isCanceled({ signal, cancelToken })) return cancel();
    if (signal) stopListeningToSignal = onAbort(signal, cancel);
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

type Signal = NonNullable<Cancelable['signal']>;

/** The requests waiting for a token on one signal, and the one listener they share. */
interface SignalWaiters {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const waitersBySignal = new WeakMap<Signal, SignalWaiters>();

/**
 * Calls `callback` when `signal` aborts; returns how to stop. However many requests wait
 * on one signal, it holds a single listener of ours, so a shared signal never draws
 * MaxListenersExceededWarning from the plugin, and none is left once nobody waits.
 */
function onAbort(signal: Signal, callback: () => void): () => void {
  let waiters = waitersBySignal.get(signal);
  if (waiters === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      stopSharing(signal, waiters!);
      for (const waiting of callbacks) waiting();
    };
    waiters = { callbacks, listener };
    waitersBySignal.set(signal, waiters);
    signal.addEventListener?.('abort', listener);
  }
  const shared = waiters;
  shared.callbacks.add(callback);
  return () => {
    shared.callbacks.delete(callback);
    if (shared.callbacks.size === 0) stopSharing(signal, shared);
  };
}

function stopSharing(signal: Signal, waiters: SignalWaiters): void {
  if (waitersBySignal.get(signal) === waiters) waitersBySignal.delete(signal);
  signal.removeEventListener?.('abort', waiters.listener);
}

/** Whether the request has been canceled already. */
export function isCanceled({ signal, cancelToken }: Cancelable): boolean {
  return signal?.aborted === true || (cancelToken !== undefined && cancelToken !== null && cancelToken.reason !== undefined);
}
