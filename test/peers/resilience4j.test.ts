/**
 * Behaviours that resilience4j's own suites check (CircuitBreakerStateMachineTest,
 * FixedSizeSlidingWindowMetricsTest, SlidingTimeWindowMetricsTest), ported to circuitry's
 * public API.
 *
 * Mapping used throughout:
 * - `slidingWindow(n, m, COUNT_BASED)` -> `countWindow({ size: n, minimumCalls: m })`;
 *   `TIME_BASED` (n seconds, one bucket a second) -> `timeWindow({ duration: n * 1000, buckets: n })`.
 * - `failureRateThreshold(50)` -> `failureRate: 0.5`; `slowCallRateThreshold` -> `slowCallRate`;
 *   `slowCallDurationThreshold` -> `slowCallDuration`.
 * - `waitDurationInOpenState` -> `recoveryTimeout`; `waitIntervalFunctionInOpenState` -> a
 *   `recoveryTimeout` function such as `exponentialBackoff`.
 * - `permittedNumberOfCallsInHalfOpenState(n)` -> `halfOpenMaxCalls: n` (and `successThreshold: n`
 *   where the test needs n half-open calls to decide).
 * - `ignoreExceptions` -> `expectedError` that leaves them out.
 * - `transitionToOpenState()` -> `open()`, `transitionToForcedOpenState()` -> `isolate()`,
 *   `transitionToDisabledState()` -> `disable()`, `reset()` -> `reset()`;
 *   `transitionToHalfOpenState()` from open -> let the wait pass on the clock.
 * - `Metrics.getNumberOfNotPermittedCalls()` -> `stats().rejections`; buffered / failed / slow
 *   calls -> `stats().window`.
 * - `tryAcquirePermission()` without `onSuccess`/`onError` -> a call held in flight.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitIsolatedError, CircuitOpenError, countWindow, exponentialBackoff, timeWindow } from 'circuitry';
import type { BreakerOptions } from 'circuitry';
import { deferred, manualClock } from '../helpers/manual-clock.js';
import type { ManualClock } from '../helpers/manual-clock.js';

const S = 1000;

class NumberFormatError extends Error {}

type Outcome = 'ok' | 'fail' | 'ignored';

function machine(options: BreakerOptions = {}) {
  // resilience4j's MockClock starts on a whole second (2019-01-01T12:00:00Z).
  const clock = manualClock(Date.UTC(2019, 0, 1, 12));
  const breaker = new CircuitBreaker({
    name: 'testName',
    registry: false,
    clock,
    // The suite's machine: 50% failure rate, 4 half-open calls, slow at 4 s and 50%, a 5 s
    // TIME_BASED window needing 5 calls, 5 s open, NumberFormatException ignored.
    policy: timeWindow({ duration: 5 * S, buckets: 5, failureRate: 0.5, slowCallRate: 0.5, minimumCalls: 5 }),
    slowCallDuration: 4 * S,
    halfOpenMaxCalls: 4,
    successThreshold: 4,
    recoveryTimeout: 5 * S,
    expectedError: (error) => !(error instanceof NumberFormatError),
    ...options,
  });
  let ran = 0;
  /** One call that ends as told, taking `ms` on the clock; resolves with the refusal, if any. */
  const call = async (outcome: Outcome, ms = 0): Promise<unknown> => {
    try {
      await breaker.execute(async () => {
        ran += 1;
        clock.advance(ms);
        if (outcome === 'fail') throw new Error('RuntimeException');
        if (outcome === 'ignored') throw new NumberFormatError('NumberFormatException');
        return 'ok';
      });
      return undefined;
    } catch (error) {
      return error instanceof CircuitOpenError ? error : undefined;
    }
  };
  /** tryAcquirePermission(): true when a call is admitted; the call is held in flight. */
  const held: ReturnType<typeof deferred>[] = [];
  const tryAcquire = async (): Promise<boolean> => {
    const d = deferred();
    held.push(d);
    let refused = false;
    breaker.execute(() => d.promise).catch((e: unknown) => {
      if (e instanceof CircuitOpenError) refused = true;
    });
    // A refusal is delivered a microtask later; a macrotask is enough for it to arrive.
    await new Promise((r) => setTimeout(r, 0));
    return !refused;
  };
  return { clock, breaker, call, tryAcquire, held, ran: () => ran };
}

function toHalfOpen(breaker: CircuitBreaker, clock: ManualClock, wait = 5 * S) {
  breaker.open();
  clock.advance(wait);
  expect(breaker.state).toBe('half-open');
}

describe('resilience4j: CircuitBreakerStateMachineTest', () => {
  it('shouldReturnTheCorrectName', () => {
    expect(machine().breaker.name).toBe('testName');
  });

  it('shouldThrowCallNotPermittedExceptionWhenStateIsOpen: an open circuit refuses and counts one not-permitted call', async () => {
    const { breaker, call } = machine();
    breaker.open();
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats().rejections).toBe(1);
  });

  it('shouldThrowCallNotPermittedExceptionWhenStateIsForcedOpen: a forced-open (isolated) circuit refuses and counts it', async () => {
    const { breaker, call } = machine();
    breaker.isolate();
    const refused = await call('ok');
    expect(refused).toBeInstanceOf(CircuitIsolatedError);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats().rejections).toBe(1);
  });

  it('shouldIncreaseCounterOnReleasePermission: four permits in half-open, the fifth and sixth refused, and a released permit is handed out again', async () => {
    const { breaker, clock, tryAcquire, held } = machine();
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 4; i++) expect(await tryAcquire()).toBe(true);
    expect(await tryAcquire()).toBe(false);
    expect(await tryAcquire()).toBe(false);
    // releasePermission(): a call that ends with an ignored error gives its permit back.
    held[0]!.reject(new NumberFormatError('released'));
    await new Promise((r) => setTimeout(r, 0));
    expect(await tryAcquire()).toBe(true);
  });

  it('shouldThrowCallNotPermittedExceptionWhenNotFurtherTestCallsArePermitted', async () => {
    const { breaker, clock, tryAcquire } = machine();
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 4; i++) expect(await tryAcquire()).toBe(true);
    const rejectionsBefore = breaker.stats().rejections;
    const refused = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats().rejections).toBe(rejectionsBefore + 1);
  });

  it('shouldOnlyPermitFourCallsInHalfOpenState, again after open -> half-open', async () => {
    const { breaker, clock, tryAcquire } = machine();
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 4; i++) expect(await tryAcquire()).toBe(true);
    expect(await tryAcquire()).toBe(false);
    expect(await tryAcquire()).toBe(false);
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 4; i++) expect(await tryAcquire()).toBe(true);
    expect(await tryAcquire()).toBe(false);
    expect(await tryAcquire()).toBe(false);
  });

  it('shouldOpenAfterFailureRateThresholdExceeded: F F F S S in a 5 s window opens at 60%, buffered 5, failed 3', async () => {
    const { breaker, call } = machine();
    const window = () => breaker.stats().window;
    await call('fail');
    expect(breaker.state).toBe('closed');
    expect(window()).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    await call('fail');
    expect(window()).toEqual({ calls: 2, failures: 2, slowCalls: 0 });
    await call('fail');
    expect(breaker.state).toBe('closed'); // below minimumNumberOfCalls, however bad the rate
    expect(window()).toEqual({ calls: 3, failures: 3, slowCalls: 0 });
    await call('ok');
    expect(breaker.state).toBe('closed');
    expect(window()).toEqual({ calls: 4, failures: 3, slowCalls: 0 });
    await call('ok');
    expect(breaker.state).toBe('open');
    expect(window()).toEqual({ calls: 5, failures: 3, slowCalls: 0 });
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats()).toMatchObject({ successes: 2, failures: 3, rejections: 1 });
  });

  it('shouldOpenAfterSlowCallRateThresholdExceeded: 3 slow calls of 5 open at a 60% slow-call rate while the failure rate is 40%', async () => {
    // resilience4j records a call's duration without moving its clock; circuitry measures calls
    // on the breaker's clock, so 3 x 5 s calls would slide out of a 5 s time window. A count
    // window of 5 makes the same decision.
    const { breaker, call } = machine({ policy: countWindow({ size: 5, failureRate: 0.5, slowCallRate: 0.5, minimumCalls: 5 }) });
    await call('fail', 5 * S);
    await call('ok', 5 * S);
    await call('fail', 100);
    await call('ok', 100);
    expect(breaker.state).toBe('closed');
    await call('ok', 5 * S);
    expect(breaker.state).toBe('open');
    expect(breaker.stats().window).toEqual({ calls: 5, failures: 2, slowCalls: 3 });
  });

  it('shouldTransitionToHalfOpenAfterWaitDuration: still open after 3 s, a call admitted after 6 s', async () => {
    const { breaker, clock, call, tryAcquire } = machine();
    breaker.open();
    expect(breaker.state).toBe('open');
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(3 * S);
    expect(breaker.state).toBe('open');
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats().rejections).toBe(2);
    clock.advance(3 * S);
    expect(await tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('shouldTransitionToHalfOpenAfterWaitInterval: an exponential wait of 5 s, then 7.5 s after the next opening', async () => {
    const { breaker, clock, call, tryAcquire } = machine({
      recoveryTimeout: exponentialBackoff({ initial: 5 * S, max: 600 * S, multiplier: 1.5 }),
    });
    breaker.open();
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(3 * S);
    expect(breaker.state).toBe('open');
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(3 * S);
    expect(await tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');

    breaker.open();
    clock.advance(6 * S);
    expect(breaker.state).toBe('open'); // the new wait of 7.5 s is not over
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(5 * S);
    expect(await tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
  });

  it('shouldTransitionBackToOpenStateWhenFailureRateIsAboveThreshold: re-opens in half-open — here on the first failure, where resilience4j waits for its 4 calls (documented: one trial failure re-opens)', async () => {
    // resilience4j: F, F, S, F over the 4 permitted calls -> 75% -> OPEN after the 4th.
    // circuitry README Semantics 6: "one counted trial failure re-opens it".
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    await call('fail');
    expect(breaker.state).toBe('open');
    expect(await call('fail')).toBeInstanceOf(CircuitOpenError);
  });

  it('shouldTransitionBackToClosedStateWhenFailureIsBelowThreshold: F S S S closes in resilience4j (25%); circuitry re-opens on the F (documented)', async () => {
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    await call('fail');
    expect(breaker.state).toBe('open'); // resilience4j: still HALF_OPEN, CLOSED after S S S
    // The same four calls with the failure last do not close either: it re-opens.
    toHalfOpen(breaker, clock);
    await call('ok');
    await call('ok');
    await call('ok');
    expect(breaker.state).toBe('half-open');
    await call('fail');
    expect(breaker.state).toBe('open');
  });

  it('closes after the permitted number of successful half-open calls, with the closed window empty again', async () => {
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 3; i++) {
      await call('ok');
      expect(breaker.state).toBe('half-open');
    }
    await call('ok');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    await call('ok');
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
  });

  it('shouldTransitionBackToOpenStateWhenSlowCallRateIsAboveThreshold: 3 slow of 4 half-open successes re-open resilience4j; circuitry closes (slow calls are judged only by a closed-state window)', async () => {
    // README: slowCallRate belongs to a window policy, which is told outcomes "while the circuit
    // is closed"; half-open closes after successThreshold successes. So slow trial calls count
    // as plain successes.
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    await call('ok', 5 * S);
    await call('ok', 5 * S);
    await call('ok', 5 * S);
    await call('ok', 1 * S);
    expect(breaker.state).toBe('closed'); // resilience4j: OPEN (slow-call rate 75%)
  });

  it('shouldResetMetrics: reset() empties the window and the consecutive count (cumulative stats stay, as documented)', async () => {
    const { breaker, call } = machine();
    await call('ok');
    await call('fail');
    expect(breaker.stats().window).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    // README Stats: cumulative counts are "never reset by state changes".
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 1 });
  });

  it('shouldDisableCircuitBreaker: a disabled breaker lets every call through and records nothing in its window', async () => {
    const { breaker, call, ran } = machine();
    breaker.disable();
    expect(breaker.state).toBe('disabled');
    expect(await call('ok')).toBeUndefined();
    for (let i = 0; i < 4; i++) expect(await call('fail')).toBeUndefined();
    expect(ran()).toBe(5);
    expect(breaker.state).toBe('disabled');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    expect(breaker.stats().rejections).toBe(0);
  });

  it('shouldForceOpenCircuitBreaker: forced open (isolated) does not turn half-open after the wait duration', async () => {
    const { breaker, clock, call } = machine();
    breaker.isolate();
    expect(breaker.state).toBe('isolated');
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(6 * S);
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('isolated');
    expect(breaker.stats().rejections).toBe(2);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('shouldReleasePermissionWhenExceptionIgnored: an ignored error in half-open frees its permit and decides nothing; the next failure re-opens here (resilience4j closes at 1 failure in 4)', async () => {
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    await call('ok');
    await call('ok');
    await call('ok');
    expect(breaker.state).toBe('half-open');
    await call('ignored');
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats()).toMatchObject({ ignored: 1 });
    await call('fail');
    // resilience4j: CLOSED (failure rate 25% over S S S F). circuitry (documented): a counted
    // trial failure re-opens.
    expect(breaker.state).toBe('open');
  });

  it('shouldIgnoreExceptionsAndThenTransitionToClosed: four ignored errors keep it half-open; four successes then close it', async () => {
    const { breaker, clock, call } = machine();
    toHalfOpen(breaker, clock);
    for (let i = 0; i < 4; i++) {
      await call('ignored');
      expect(breaker.state).toBe('half-open');
    }
    for (let i = 0; i < 3; i++) {
      await call('ok');
      expect(breaker.state).toBe('half-open');
    }
    await call('ok');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('shouldNotAllowTransitionFromClosedToClosed: close() on a closed breaker is allowed here, and reports no change (documented: every real change only)', () => {
    const changes: string[] = [];
    const { breaker } = machine({ onStateChange: (from, to) => changes.push(`${from}->${to}`) });
    expect(() => breaker.close()).not.toThrow();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('shouldResetToClosedState: reset() closes an open breaker', () => {
    const { breaker } = machine();
    breaker.open();
    breaker.reset();
    expect(breaker.state).toBe('closed');
  });

  it('shouldResetClosedState: reset() of a closed breaker empties its window', async () => {
    const { breaker, call } = machine();
    await call('ok');
    await call('ok');
    expect(breaker.stats().window).toMatchObject({ calls: 2 });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toMatchObject({ calls: 0 });
  });

  it('publishes one event per outcome: success, error, ignored error, not permitted, state transition', async () => {
    const { breaker, call } = machine({ policy: countWindow({ size: 1, failureRate: 1, minimumCalls: 1 }) });
    const events: string[] = [];
    breaker.on('success', () => events.push('success'));
    breaker.on('failure', () => events.push('error'));
    breaker.on('ignored', () => events.push('ignored'));
    breaker.on('rejected', () => events.push('notPermitted'));
    breaker.on('stateChange', ({ from, to }) => events.push(`${from}->${to}`));
    await call('ok');
    await call('ignored');
    await call('fail');
    await call('ok');
    expect(events).toEqual(['success', 'ignored', 'error', 'closed->open', 'notPermitted']);
  });
});

describe('resilience4j: record and ignore filters (CircuitBreakerConfig recordExceptions / ignoreExceptions / recordResult)', () => {
  it('an error outside recordExceptions is not recorded at all here; resilience4j records it as a success (documented: neither)', async () => {
    class IOError extends Error {}
    const breaker = new CircuitBreaker({
      registry: false,
      expectedError: IOError,
      policy: countWindow({ size: 5, failureRate: 0.5, minimumCalls: 5 }),
    });
    await breaker.execute(async () => Promise.reject(new Error('other'))).catch(() => undefined);
    // resilience4j: buffered 1, successful 1.
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, ignored: 1 });
  });

  it('a result judged a failure (recordResult) is counted as a failure and still returned to the caller', async () => {
    const breaker = new CircuitBreaker({
      registry: false,
      isFailure: (result: { status: number }) => result.status >= 500,
      policy: countWindow({ size: 2, failureRate: 0.5, minimumCalls: 2 }),
    });
    expect(await breaker.execute(async () => ({ status: 503 }))).toEqual({ status: 503 });
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    await breaker.execute(async () => ({ status: 200 }));
    expect(breaker.state).toBe('open');
  });

  it('minimumNumberOfCalls larger than a COUNT_BASED window is clamped by resilience4j, refused here (documented: minimumCalls at most size)', () => {
    expect(() => countWindow({ size: 5, minimumCalls: 10 })).toThrow(RangeError);
  });

  it('defaults: failureRate 50% like resilience4j, but minimumCalls 10 (resilience4j 100) — 10 failures of 10 open a size-100 window', async () => {
    const breaker = new CircuitBreaker({ registry: false, policy: countWindow({ size: 100 }) });
    for (let i = 0; i < 9; i++) await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });
});

/** A breaker whose window never trips, to read the window's counts as resilience4j's Metrics tests do. */
function metrics(policy: BreakerOptions['policy'], clock = manualClock(Date.UTC(2019, 7, 4, 12))) {
  const breaker = new CircuitBreaker({ registry: false, clock, policy, slowCallDuration: 1000 });
  const record = async (outcome: 'SUCCESS' | 'ERROR' | 'SLOW_SUCCESS' | 'SLOW_ERROR') => {
    await breaker
      .execute(async () => {
        if (outcome.startsWith('SLOW')) clock.advance(1000);
        if (outcome.endsWith('ERROR')) throw new Error('x');
      })
      .catch(() => undefined);
    expect(breaker.state).toBe('closed');
    return breaker.stats().window!;
  };
  return { breaker, clock, record };
}

describe('resilience4j: FixedSizeSlidingWindowMetricsTest', () => {
  it('checkInitialBucketCreation: an empty window', () => {
    const { breaker } = metrics(countWindow({ size: 5, failureRate: 1, minimumCalls: 5 }));
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('testRecordSuccess / testRecordError / testRecordSlowSuccess', async () => {
    expect(await metrics(countWindow({ size: 5, failureRate: 1, minimumCalls: 5 })).record('SUCCESS')).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
    expect(await metrics(countWindow({ size: 5, failureRate: 1, minimumCalls: 5 })).record('ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    expect(await metrics(countWindow({ size: 5, failureRate: 1, minimumCalls: 5 })).record('SLOW_SUCCESS')).toEqual({ calls: 1, failures: 0, slowCalls: 1 });
  });

  it('testSlowCallsPercentage: 2 slow calls of 5, one of them failed', async () => {
    const { record } = metrics(countWindow({ size: 5, failureRate: 1, slowCallRate: 1, minimumCalls: 5 }));
    await record('SLOW_SUCCESS');
    await record('SLOW_ERROR');
    await record('SUCCESS');
    await record('SUCCESS');
    expect(await record('SUCCESS')).toEqual({ calls: 5, failures: 1, slowCalls: 2 });
  });

  it('testSlidingWindowMetrics: a window of 4 forgets the oldest call', async () => {
    const { record } = metrics(countWindow({ size: 4, failureRate: 1, minimumCalls: 4 }));
    expect(await record('ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    expect(await record('SUCCESS')).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    expect(await record('SUCCESS')).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    expect(await record('SUCCESS')).toEqual({ calls: 4, failures: 1, slowCalls: 0 });
    expect(await record('SUCCESS')).toEqual({ calls: 4, failures: 0, slowCalls: 0 });
  });

  it('testSlidingWindowMetricsWithSlowCalls: a window of 2 forgets slow calls too', async () => {
    // Rates are checked on every outcome here, and slowCallRate cannot exceed 1, so a window of
    // 2 holding 2 slow calls would open the circuit; the port leaves resilience4j's SLOW_SUCCESS
    // step out and keeps the part that shows slow calls sliding out of the window.
    const { record } = metrics(countWindow({ size: 2, failureRate: 1, slowCallRate: 1, minimumCalls: 2 }));
    expect(await record('SLOW_ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 1 });
    expect(await record('SUCCESS')).toEqual({ calls: 2, failures: 1, slowCalls: 1 });
    expect(await record('SUCCESS')).toEqual({ calls: 2, failures: 0, slowCalls: 0 });
  });
});

describe('resilience4j: SlidingTimeWindowMetricsTest', () => {
  const timeMetrics = () => metrics(timeWindow({ duration: 5 * S, buckets: 5, failureRate: 1, minimumCalls: 1_000 }));

  it('testRecordSuccess / testRecordError', async () => {
    expect(await timeMetrics().record('SUCCESS')).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
    expect(await timeMetrics().record('ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('shouldClearSlidingTimeWindowMetrics: calls leave the window 5 s after their second began, and reading it expires them', async () => {
    const { breaker, clock, record } = timeMetrics();
    expect(await record('ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    clock.advance(100);
    expect(await record('SUCCESS')).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    clock.advance(700);
    expect(await record('SUCCESS')).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    clock.advance(4 * S);
    expect(breaker.stats().window).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    clock.advance(1 * S);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    clock.advance(100);
    expect(await record('SUCCESS')).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
  });

  it('testSlidingTimeWindowMetrics: a 5 s window of 1 s buckets drops whole buckets as time goes by', async () => {
    const { clock, record } = timeMetrics();
    expect(await record('ERROR')).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    clock.advance(100);
    expect(await record('SUCCESS')).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    clock.advance(100);
    expect(await record('SUCCESS')).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 4, failures: 1, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 5, failures: 1, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('ERROR')).toEqual({ calls: 6, failures: 2, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 7, failures: 2, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 5, failures: 1, slowCalls: 0 });
    clock.advance(1 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 5, failures: 1, slowCalls: 0 });
    clock.advance(5 * S);
    expect(await record('SUCCESS')).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
  });

  it('slices are aligned on the first call here, on whole epoch seconds in resilience4j: a call at 12:00:00.900 leaves at 12:00:05.900, not 12:00:05.000', async () => {
    // resilience4j aligns its buckets on epoch seconds; circuitry aligns them on the first call
    // its window ever saw. Starting mid-second shows whether they agree.
    const clock = manualClock(Date.UTC(2019, 7, 4, 12) + 900);
    const { breaker, record } = metrics(timeWindow({ duration: 5 * S, buckets: 5, failureRate: 1, minimumCalls: 1_000 }), clock);
    await record('SUCCESS');
    clock.advance(4_100); // 12:00:05.000: resilience4j's window is empty now
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
    clock.advance(900); // 12:00:05.900: 5 s after the call, circuitry's slice leaves
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });
});

describe('resilience4j: waits measured on the injected clock', () => {
  it('a trial is admitted once waitDurationInOpenState has elapsed after a trip from the window', async () => {
    const { breaker, clock, call } = machine({ policy: countWindow({ size: 2, failureRate: 0.5, minimumCalls: 2 }) });
    await call('fail');
    await call('fail');
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(5 * S);
    clock.advance(4_999);
    expect(await call('ok')).toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    expect(await call('ok')).toBeUndefined();
  });
});
