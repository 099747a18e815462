/**
 * Behaviours that sony/gobreaker v2's own suite (`v2/gobreaker_test.go`) checks, ported to
 * circuitry's public API. gobreaker's tests move time by shifting `cb.expiry` (`pseudoSleep`);
 * here an injected clock moves instead.
 *
 * Mapping used throughout:
 * - `Settings.ReadyToTrip` default (`ConsecutiveFailures > 5`) -> `failureThreshold: 6`.
 * - `Settings.Timeout` -> `recoveryTimeout`; `Settings.MaxRequests` -> `halfOpenMaxCalls` and
 *   `successThreshold` (gobreaker closes after `MaxRequests` consecutive half-open successes).
 * - `Settings.Interval` (fixed window, counts cleared every Interval) -> `timeWindow` with one bucket;
 *   `Interval` + `BucketPeriod` (rolling window) -> `timeWindow` with `Interval / BucketPeriod` buckets.
 * - `ErrOpenState` / `ErrTooManyRequests` -> `CircuitOpenError` with `state` `'open'` / `'half-open'`.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, circuitSync, timeWindow } from 'circuitry';
import type { CircuitState } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

const S = 1000;

function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = manualClock();
  const changes: string[] = [];
  const breaker = new CircuitBreaker({
    registry: false,
    clock,
    onStateChange: (from: CircuitState, to: CircuitState, b: CircuitBreaker) => changes.push(`${b.name}:${from}->${to}`),
    ...options,
  });
  let calls = 0;
  /** gobreaker's `succeed(cb)`: nil when the request ran, the breaker's error otherwise. */
  const succeed = async (): Promise<unknown> => {
    try {
      await breaker.execute(async () => {
        calls += 1;
        return true;
      });
      return undefined;
    } catch (error) {
      return error;
    }
  };
  /** gobreaker's `fail(cb)`: nil when the request ran and failed with its own error. */
  const fail = async (): Promise<unknown> => {
    try {
      await breaker.execute(async () => {
        calls += 1;
        throw new Error('fail');
      });
    } catch (error) {
      return (error as Error).message === 'fail' ? undefined : error;
    }
    return new Error('the failing request resolved');
  };
  return { clock, breaker, changes, succeed, fail, calls: () => calls };
}

describe('gobreaker: state names (TestStateConstants)', () => {
  it('reads the three states with the same strings gobreaker prints: closed, half-open, open', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, recoveryTimeout: 60 * S });
    expect(breaker.state).toBe('closed');
    await fail();
    expect(breaker.state).toBe('open');
    clock.advance(60 * S);
    expect(breaker.state).toBe('half-open');
  });
});

describe('gobreaker: settings (TestNewCircuitBreaker)', () => {
  it('defaults differ from gobreaker and are documented: 5 failures in a row (gobreaker: more than 5), 30 s open (gobreaker: 60 s), 1 trial (gobreaker MaxRequests 1)', async () => {
    // README options table: failureThreshold 5, recoveryTimeout 30_000, halfOpenMaxCalls 1.
    const { breaker, fail } = setup();
    for (let i = 0; i < 4; i++) expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('open'); // gobreaker's default would still be closed after 5
    expect(breaker.retryAfter).toBe(30 * S);
  });

  it('refuses negative durations, where gobreaker silently falls back to its defaults (documented: options never fall back)', () => {
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: -90 * S })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ registry: false, policy: timeWindow({ duration: -30 * S }) })).toThrow(RangeError);
  });

  it('a new breaker is closed with zero counts and no name unless given', () => {
    const breaker = new CircuitBreaker({ registry: false });
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, rejections: 0, consecutiveFailures: 0 });
    expect(new CircuitBreaker({ registry: false, name: 'cb' }).name).toBe('cb');
  });
});

describe('gobreaker: the default breaker (TestDefaultCircuitBreaker, TestTwoStepCircuitBreaker)', () => {
  it('walks closed -> open -> half-open -> open -> half-open -> closed exactly as gobreaker does with ConsecutiveFailures > 5 and a 60 s timeout', async () => {
    const { breaker, clock, succeed, fail, calls } = setup({ failureThreshold: 6, recoveryTimeout: 60 * S });

    for (let i = 0; i < 5; i++) expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(5); // Counts.ConsecutiveFailures 5
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 5 });

    expect(await succeed()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0); // a success resets the streak

    expect(await fail()).toBeUndefined();
    expect(breaker.consecutiveFailures).toBe(1);

    // StateClosed to StateOpen: 6 consecutive failures
    for (let i = 0; i < 5; i++) expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('open');

    // Open: both kinds of request are refused without running, and nothing is counted.
    const before = calls();
    expect(await succeed()).toBeInstanceOf(CircuitOpenError);
    expect(await fail()).toBeInstanceOf(CircuitOpenError);
    expect(calls()).toBe(before);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 11, rejections: 2 });

    clock.advance(59 * S);
    expect(breaker.state).toBe('open');

    // StateOpen to StateHalfOpen: computed on read, as gobreaker's State() does.
    clock.advance(1 * S);
    expect(breaker.state).toBe('half-open');

    // StateHalfOpen to StateOpen
    expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(60 * S); // the timeout starts again

    clock.advance(60 * S);
    expect(breaker.state).toBe('half-open');

    // StateHalfOpen to StateClosed
    expect(await succeed()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.retryAfter).toBe(0);
  });

  it('keeps the consecutive-failure count across the open period instead of clearing it on each state change as gobreaker does (documented: open does not change the counts)', async () => {
    // gobreaker: Counts{0,0,0,0,0} right after the trip and after a failed trial.
    // circuitry (README Semantics 4, and Python's circuitbreaker): the count stays, and a
    // failed trial adds one.
    const { breaker, clock, fail } = setup({ failureThreshold: 6, recoveryTimeout: 60 * S });
    for (let i = 0; i < 6; i++) await fail();
    expect(breaker.state).toBe('open');
    expect(breaker.consecutiveFailures).toBe(6);
    clock.advance(60 * S);
    await fail();
    expect(breaker.consecutiveFailures).toBe(7);
  });
});

describe('gobreaker: a custom ReadyToTrip over a fixed Interval (TestCustomCircuitBreaker)', () => {
  const custom = () =>
    setup({
      name: 'cb',
      // MaxRequests 3: three trials, three successes to close
      halfOpenMaxCalls: 3,
      successThreshold: 3,
      recoveryTimeout: 90 * S,
      // Interval 30 s, ReadyToTrip: Requests >= 3 && TotalFailures / Requests >= 0.6
      policy: timeWindow({ duration: 30 * S, buckets: 1, failureRate: 0.6, minimumCalls: 3 }),
    });

  it('trips on the failure ratio only within the current interval, and forgets the previous interval', async () => {
    const { breaker, clock, succeed, fail, changes } = custom();
    for (let i = 0; i < 5; i++) {
      expect(await succeed()).toBeUndefined();
      expect(await fail()).toBeUndefined();
    }
    expect(breaker.state).toBe('closed'); // 5/10 < 0.6
    expect(breaker.stats().window).toEqual({ calls: 10, failures: 5, slowCalls: 0 });

    clock.advance(29 * S);
    expect(await succeed()).toBeUndefined();
    expect(breaker.stats().window).toEqual({ calls: 11, failures: 5, slowCalls: 0 });

    clock.advance(1 * S); // over Interval
    expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 1, slowCalls: 0 });

    // StateClosed to StateOpen
    expect(await succeed()).toBeUndefined();
    expect(await fail()).toBeUndefined(); // failure ratio 2/3 >= 0.6
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['cb:closed->open']);

    // StateOpen to StateHalfOpen
    clock.advance(90 * S);
    expect(breaker.state).toBe('half-open');
    // gobreaker's State() moves it on the read; here a read changes nothing, the next call does (documented, Semantics 5).
    expect(changes.at(-1)).toBe('cb:closed->open');

    expect(await succeed()).toBeUndefined();
    expect(await succeed()).toBeUndefined();
    expect(breaker.state).toBe('half-open');

    // StateHalfOpen to StateClosed
    expect(await succeed()).toBeUndefined(); // 3 consecutive successes
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 }); // counts cleared
    expect(changes).toEqual(['cb:closed->open', 'cb:open->half-open', 'cb:half-open->closed']);
  });

  it('limits trials in flight at once, where gobreaker limits trials per half-open period (documented: halfOpenMaxCalls is "admitted at once")', async () => {
    // gobreaker: after 2 half-open successes and a 3rd in flight, a 4th request gets
    // ErrTooManyRequests ("over MaxRequests"). circuitry counts only calls in flight, so with one
    // in flight the 4th is admitted.
    const { breaker, clock, succeed, fail } = custom();
    await fail();
    await fail();
    await fail();
    expect(breaker.state).toBe('open');
    clock.advance(90 * S);
    await succeed();
    await succeed();
    const third = deferred<boolean>();
    const inFlight = breaker.execute(() => third.promise);
    const fourth = await succeed();
    expect(fourth).toBeUndefined(); // gobreaker: ErrTooManyRequests
    third.resolve(true);
    await inFlight;
    expect(breaker.state).toBe('closed');
  });

  it('refuses a request beyond MaxRequests in flight with a half-open refusal (ErrTooManyRequests), distinct from an open one (ErrOpenState)', async () => {
    const { breaker, clock, fail } = custom();
    for (let i = 0; i < 3; i++) await fail();
    const refusedOpen = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(refusedOpen).toBeInstanceOf(CircuitOpenError);
    expect((refusedOpen as CircuitOpenError).state).toBe('open');

    clock.advance(90 * S);
    const held = [deferred(), deferred(), deferred()];
    const trials = held.map((d) => breaker.execute(() => d.promise));
    const refusedBusy = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(refusedBusy).toBeInstanceOf(CircuitOpenError);
    expect((refusedBusy as CircuitOpenError).state).toBe('half-open');
    held.forEach((d) => d.resolve(true));
    await Promise.all(trials);
    expect(breaker.state).toBe('closed');
  });

  it('re-opens on the first half-open failure, before MaxRequests trials have run (gobreaker issue #53 behaviour)', async () => {
    const { breaker, clock, succeed, fail } = custom();
    for (let i = 0; i < 3; i++) await fail();
    clock.advance(90 * S);
    expect(await succeed()).toBeUndefined();
    expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(90 * S);
  });
});

describe('gobreaker: a rolling window (TestRollingWindowCircuitBreaker)', () => {
  it('drops the oldest 3 s bucket after 30 s and trips at 14/23 >= 0.6', async () => {
    const { breaker, clock, succeed, fail, changes } = setup({
      name: 'rw',
      halfOpenMaxCalls: 3,
      successThreshold: 3,
      recoveryTimeout: 90 * S,
      policy: timeWindow({ duration: 30 * S, buckets: 10, failureRate: 0.6, minimumCalls: 3 }),
    });
    const window = () => breaker.stats().window;

    for (let i = 0; i < 5; i++) {
      await succeed();
      await fail();
    }
    expect(breaker.state).toBe('closed');
    expect(window()).toEqual({ calls: 10, failures: 5, slowCalls: 0 });

    clock.advance(3 * S);
    await succeed();
    expect(window()).toEqual({ calls: 11, failures: 5, slowCalls: 0 });

    clock.advance(2 * S);
    await succeed();
    expect(window()).toEqual({ calls: 12, failures: 5, slowCalls: 0 });

    clock.advance(2 * S);
    await succeed();
    expect(window()).toEqual({ calls: 13, failures: 5, slowCalls: 0 });

    clock.advance(2 * S);
    await fail();
    expect(window()).toEqual({ calls: 14, failures: 6, slowCalls: 0 });

    // fill all the buckets
    for (let i = 0; i < 6; i++) {
      clock.advance(3 * S);
      await succeed();
      await fail();
      expect(window()).toEqual({ calls: 16 + 2 * i, failures: 7 + i, slowCalls: 0 });
    }

    // the first bucket is discarded
    clock.advance(3 * S);
    await fail();
    expect(window()).toEqual({ calls: 17, failures: 8, slowCalls: 0 });

    for (let i = 0; i < 5; i++) {
      await fail();
      expect(window()).toEqual({ calls: 18 + i, failures: 9 + i, slowCalls: 0 });
    }
    expect(breaker.state).toBe('closed');

    await fail(); // failure rate 14/23 > 0.6
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['rw:closed->open']);

    clock.advance(90 * S);
    expect(breaker.state).toBe('half-open');
    await succeed();
    await succeed();
    expect(breaker.state).toBe('half-open');
    await succeed();
    expect(breaker.state).toBe('closed');
    expect(window()).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    expect(changes).toEqual(['rw:closed->open', 'rw:open->half-open', 'rw:half-open->closed']);
  });
});

describe('gobreaker: panics and generations (TestPanicInRequest, TestGeneration)', () => {
  it('counts a request that throws synchronously as a failure and rethrows it (a Go panic)', () => {
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 6 });
    const oops = circuitSync(
      (): boolean => {
        throw new Error('oops');
      },
      { breaker },
    );
    expect(() => oops()).toThrow('oops');
    expect(breaker.consecutiveFailures).toBe(1);
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 1 });
  });

  it('ignores the late result of a request admitted in an earlier generation (closed -> open -> closed)', async () => {
    const { breaker, clock } = setup({ failureThreshold: 2, recoveryTimeout: 10 * S });
    const slow = deferred<boolean>();
    const late = breaker.execute(() => slow.promise);
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    clock.advance(10 * S);
    await breaker.execute(async () => true);
    expect(breaker.state).toBe('closed');
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.consecutiveFailures).toBe(1);
    slow.resolve(true); // a success from the first closed period must not reset the new streak
    await late;
    await flush();
    expect(breaker.consecutiveFailures).toBe(1);
  });

  it('counts a request that straddles an Interval boundary in the interval it finishes in, where gobreaker drops it with its generation', async () => {
    // gobreaker TestGeneration: a request started before the Interval expired and finishing after
    // it leaves Counts at {0,0,0,0,0}. circuitry's windows count an outcome when it arrives
    // (as resilience4j does); only a change of *state* starts a new generation.
    const { breaker, clock } = setup({
      policy: timeWindow({ duration: 30 * S, buckets: 1, failureRate: 0.6, minimumCalls: 3 }),
    });
    await breaker.execute(async () => true);
    clock.advance(29 * S);
    const slow = deferred<boolean>();
    const late = breaker.execute(() => slow.promise);
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
    clock.advance(1 * S); // over Interval
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    slow.resolve(true);
    await late;
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 0, slowCalls: 0 }); // gobreaker: 0
  });
});

describe('gobreaker: IsSuccessful and IsExcluded (TestCustomIsSuccessful)', () => {
  it('an error the filter does not count is neither a failure nor a success (gobreaker IsExcluded); circuitry has no way to count an error as a success (IsSuccessful) — documented', async () => {
    const { breaker, fail } = setup({ failureThreshold: 6, expectedError: () => false });
    for (let i = 0; i < 5; i++) expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('closed');
    // gobreaker with IsSuccessful => true: Counts{5, 5, 0, 5, 0} (five successes).
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, ignored: 5 });
    expect(breaker.consecutiveFailures).toBe(0);

    breaker.configure({ expectedError: undefined });
    for (let i = 0; i < 6; i++) expect(await fail()).toBeUndefined();
    expect(breaker.state).toBe('open');
  });

  it('an excluded error does not break a failure streak (it would with gobreaker IsSuccessful)', async () => {
    class Excluded extends Error {}
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 3, expectedError: (e) => !(e instanceof Excluded) });
    const failWith = (error: Error) => breaker.execute(async () => Promise.reject(error)).catch(() => undefined);
    await failWith(new Error('a'));
    await failWith(new Error('b'));
    await failWith(new Excluded('neither'));
    expect(breaker.consecutiveFailures).toBe(2);
    await failWith(new Error('c'));
    expect(breaker.state).toBe('open');
  });

  it('an excluded error in half-open frees its trial slot without deciding anything (IsExcluded requests do not use up MaxRequests)', async () => {
    class Excluded extends Error {}
    const { breaker, clock, succeed, fail } = setup({
      failureThreshold: 1,
      recoveryTimeout: 60 * S,
      expectedError: (e) => !(e instanceof Excluded),
    });
    await fail();
    clock.advance(60 * S);
    await breaker.execute(async () => Promise.reject(new Excluded('x'))).catch(() => undefined);
    expect(breaker.state).toBe('half-open');
    expect(await succeed()).toBeUndefined();
    expect(breaker.state).toBe('closed');
  });
});

describe('gobreaker: in parallel (TestCircuitBreakerInParallel)', () => {
  it('counts every one of 10 x 10,000 concurrent successful requests exactly once', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    const routine = async () => {
      for (let i = 0; i < 10_000; i++) await breaker.execute(async () => true);
    };
    await Promise.all(Array.from({ length: 10 }, routine));
    expect(breaker.stats()).toMatchObject({ successes: 100_000, failures: 0, rejections: 0 });
    expect(breaker.state).toBe('closed');
  });

  it('counts every request of a rolling-window breaker in parallel too', async () => {
    const breaker = new CircuitBreaker({
      registry: false,
      clock: manualClock(),
      policy: timeWindow({ duration: 30 * S, buckets: 10, failureRate: 0.6, minimumCalls: 3 }),
    });
    await Promise.all(Array.from({ length: 10_000 }, () => breaker.execute(async () => true)));
    expect(breaker.stats().window).toEqual({ calls: 10_000, failures: 0, slowCalls: 0 });
  });
});
