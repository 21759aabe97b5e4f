import { storeDeadline } from '../lib/stores/store-deadline';

/**
 * The deadline of one store operation. The timers are faked and the monotonic clock is set
 * by hand, so a test can make a timer fire late, as it does when this process is busy.
 */
let now = 0;

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['performance'] });
  now = 1_000;
  jest.spyOn(performance, 'now').mockImplementation(() => now);
});

afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

/** Time passes: the clock moves and the timers due by then fire. */
function elapse(ms: number): void {
  now += ms;
  jest.advanceTimersByTime(ms);
}

/** The process is busy for `ms`: the clock moves, and no timer can fire meanwhile. */
function busyFor(ms: number): void {
  now += ms;
}

/** A 100 ms deadline whose timer fires after the process was busy for `busyMs` past it. */
function firedLate(busyMs: number): { expire: jest.Mock; cancel: () => void } {
  const expire = jest.fn();
  const cancel = storeDeadline(100, expire);
  busyFor(busyMs);
  elapse(100);
  return { expire, cancel };
}

describe('the deadline of a store operation', () => {
  it('expires once, when the operation has had its time, and not before', () => {
    const expire = jest.fn();
    storeDeadline(100, expire);
    elapse(99);
    expect(expire).not.toHaveBeenCalled();
    elapse(1);
    expect(expire).toHaveBeenCalledTimes(1);
    elapse(1_000);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  it('cancelled, it never expires', () => {
    const expire = jest.fn();
    const cancel = storeDeadline(100, expire);
    elapse(50);
    cancel();
    elapse(1_000);
    expect(expire).not.toHaveBeenCalled();
  });

  it('a timer up to 10 ms late is on time: the store had its time', () => {
    const expire = jest.fn();
    storeDeadline(100, expire);
    busyFor(10);
    elapse(100);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  it('a timer more than 10 ms late gives the time this process was busy back, once it fires', () => {
    const { expire } = firedLate(30);
    expect(expire).not.toHaveBeenCalled();
    elapse(29);
    expect(expire).not.toHaveBeenCalled();
    elapse(1);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  it('gives back at most the operation timeout, however long the process was busy', () => {
    const { expire } = firedLate(5_000);
    elapse(99);
    expect(expire).not.toHaveBeenCalled();
    elapse(1);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  it('gives time back only once: late again, it expires', () => {
    const { expire } = firedLate(30);
    busyFor(50);
    elapse(30);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  it('cancelled after it gave time back, it never expires', () => {
    const { expire, cancel } = firedLate(30);
    cancel();
    elapse(1_000);
    expect(expire).not.toHaveBeenCalled();
  });

  it('never keeps the process alive: its timers are unreferenced', () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    firedLate(30);
    const timers = setTimeoutSpy.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(timers).toHaveLength(2);
    for (const timer of timers) expect(timer.hasRef()).toBe(false);
  });
});
