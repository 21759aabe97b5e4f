/** How late a timer may fire before the delay counts as this process being busy, not the store slow. */
const STALL_TOLERANCE_MS = 10;

/**
 * Calls `expire` once a store operation has had `timeoutMs` to answer; returns the function
 * that cancels it. A timer that fires late means this process was busy for that long (a
 * burst of synchronous work, a GC pause, no CPU): time the store is not to blame for, in
 * which the command may not even have been written, or its answer not read. That time is
 * given back, once. The timer never keeps the process alive on its own.
 */
export function storeDeadline(timeoutMs: number, expire: () => void): () => void {
  let dueAt = performance.now() + timeoutMs;
  let extended = false;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (ms: number): void => {
    timer = setTimeout(check, ms);
    timer.unref();
  };
  const check = (): void => {
    const lateMs = performance.now() - dueAt;
    if (!extended && lateMs > STALL_TOLERANCE_MS) {
      extended = true;
      dueAt = performance.now() + Math.min(lateMs, timeoutMs);
      arm(dueAt - performance.now());
      return;
    }
    expire();
  };
  arm(timeoutMs);
  return () => clearTimeout(timer);
}
