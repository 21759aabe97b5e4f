/** What ends a request's wait early: an AbortSignal, axios' legacy CancelToken, its timeout. */
export interface Cancelable {
  /** The request's timeout in ms; 0 or absent: none. It bounds the wait for a token too. */
  timeout?: number;
  signal?:
    | {
        aborted?: boolean;
        addEventListener?: (type: 'abort', listener: () => void) => void;
        removeEventListener?: (type: 'abort', listener: () => void) => void;
      }
    | undefined;
  cancelToken?:
    | {
        reason?: unknown;
        subscribe?: (listener: (reason: unknown) => void) => void;
        unsubscribe?: (listener: (reason: unknown) => void) => void;
      }
    | undefined;
}

/**
 * Raised by `unlessCanceled` when the request was canceled while it waited. Never reaches
 * the caller: the request is then handed back to axios, whose dispatch sees the abort and
 * raises the app's own cancel error (whichever axios copy it is), as if we were not there.
 */
export class CanceledWhileWaiting extends Error {}

/**
 * Raised by `unlessCanceled` when the request's own timeout passed while it waited. The
 * interceptor turns it into the timeout error the app's axios would raise.
 */
export class TimedOutWhileWaiting extends Error {}

/**
 * Waits for `start()` unless the request is canceled first (AbortSignal or CancelToken),
 * in which case it rejects at once with CanceledWhileWaiting, or its timeout passes
 * (TimedOutWhileWaiting). A request canceled before it gets here starts nothing;
 * otherwise the started promise (a fetch other requests may share) is left running.
 */
export function unlessCanceled<T>(start: () => Promise<T>, { signal, cancelToken, timeout }: Cancelable): Promise<T> {
  const hasTimeout = typeof timeout === 'number' && timeout > 0;
  if (!signal && !cancelToken && !hasTimeout) return start();
  return new Promise<T>((resolve, reject) => {
    const stopWith = (reason: Error): void => {
      stopListening();
      reject(reason);
    };
    const cancel = (): void => stopWith(new CanceledWhileWaiting());
    let stopListeningToSignal = (): void => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopListening = (): void => {
      stopListeningToSignal();
      cancelToken?.unsubscribe?.(cancel);
      clearTimeout(timer);
    };
    if (isCanceled({ signal, cancelToken })) {
      cancel();
      return;
    }
    if (signal) stopListeningToSignal = onAbort(signal, cancel);
    cancelToken?.subscribe?.(cancel);
    if (hasTimeout) timer = setTimeout(() => stopWith(new TimedOutWhileWaiting()), timeout);
    start().then(
      (value) => {
        stopListening();
        resolve(value);
      },
      (error: unknown) => stopWith(error as Error),
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
    const entry: SignalWaiters = {
      callbacks,
      listener: () => {
        stopSharing(signal, entry);
        for (const waiting of callbacks) waiting();
      },
    };
    waiters = entry;
    waitersBySignal.set(signal, waiters);
    signal.addEventListener?.('abort', entry.listener);
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

/**
 * When the request stops waiting for a token, on performance.now()'s clock (the token
 * manager's): now plus its timeout, or Infinity without one (a signal's abort has no date).
 */
export function deadlineOf({ timeout }: Cancelable): number {
  return typeof timeout === 'number' && timeout > 0 ? performance.now() + timeout : Infinity;
}

/** Whether the request has been canceled already. */
export function isCanceled({ signal, cancelToken }: Cancelable): boolean {
  // A config from JavaScript may hold `cancelToken: null`.
  return signal?.aborted === true || (cancelToken ?? undefined)?.reason !== undefined;
}
