/**
 * Fakes only `Date` (not timers), so real sockets and servers keep working while a test
 * moves the clock that token lifetimes are measured on. Create the plugin after calling this.
 */
export function useFakeClock(): { advanceSeconds(seconds: number): void } {
  jest.useFakeTimers({
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  return {
    advanceSeconds: (seconds) => jest.setSystemTime(Date.now() + seconds * 1000),
  };
}
