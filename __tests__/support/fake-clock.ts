/**
 * Fakes the clocks (`Date` and the monotonic `performance.now()` that token lifetimes are
 * measured on), not the timers, so real sockets and servers keep working while a test
 * moves time. Create the plugin after calling this.
 */
export function useFakeClock(): { advanceSeconds(seconds: number): void; stepWallClock(seconds: number): void } {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  return {
    /** Time passes: both clocks move forward (no timer is faked, so none fires). */
    advanceSeconds: (seconds) => {
      if (seconds < 0) throw new Error('time only moves forward; use stepWallClock to set the wall clock back');
      jest.advanceTimersByTime(seconds * 1000);
    },
    /** The wall clock is set (NTP, a VM resumed): Date jumps, the monotonic clock does not. */
    stepWallClock: (seconds) => jest.setSystemTime(Date.now() + seconds * 1000),
  };
}
