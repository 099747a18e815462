/**
 * Behaviours that Polly v8's own circuit-breaker suites check (Polly.Core.Tests/CircuitBreaker:
 * Controller/CircuitStateControllerTests, Controller/AdvancedCircuitBehaviorTests,
 * Health/RollingHealthMetricsTests, CircuitBreakerResilienceStrategyTests,
 * CircuitBreakerResiliencePipelineBuilderTests, CircuitBreakerOptionsTests,
 * CircuitBreakerManualControlTests, CircuitBreakerStateProviderTests, BrokenCircuitExceptionTests,
 * IsolatedCircuitExceptionTests, Issues/IssuesTests.CircuitBreakerStateSharing_959), and the Polly
 * issues users raise most (#216 half-open stampede, #311/#1979 an unhandled exception during
 * half-open, #481 transitions only on execution, #1854 consecutive breaker, #2284/#2324 RetryAfter,
 * #2381 ratio in half-open), ported to circuitry's public API.
 *
 * Mapping used throughout:
 * - `TimeProvider` / `FakeTimeProvider` -> an injected `clock`; no test sleeps.
 * - `ShouldHandle` -> `expectedError` for exceptions and `isFailure` for results. An outcome
 *   `ShouldHandle` declines is a *success* in Polly (`OnUnhandledOutcomeAsync`); in circuitry an
 *   error `expectedError` declines is neither outcome (README, Semantics 7; docs/migrating "an
 *   error that is not counted: neither success nor failure").
 * - `FailureRatio` / `MinimumThroughput` / `SamplingDuration` -> `timeWindow({ failureRate,
 *   minimumCalls, duration })`; Polly cuts a sampling duration of 200 ms or more into 10 windows,
 *   as `timeWindow`'s default 10 `buckets`.
 * - `BreakDuration` -> `recoveryTimeout`; `BreakDurationGenerator(args)` -> a `recoveryTimeout`
 *   function of `openings`, where `openings === HalfOpenAttempts + 1`.
 * - "the circuit behavior says break" (mocked `shouldBreak = true`) -> `failureThreshold: 1`.
 * - `OnOpened` / `OnClosed` / `OnHalfOpened` -> `onOpen` / `onClose` / `onHalfOpen` and the
 *   `open` / `close` / `halfOpen` events.
 * - `ManualControl.IsolateAsync()` -> `breaker.isolate()`; `ManualControl.CloseAsync()` ->
 *   `breaker.close()`.
 * - `StateProvider.CircuitState` -> `breaker.state`; `LastHandledOutcome` -> `breaker.lastFailure`.
 * - `BrokenCircuitException` -> `CircuitOpenError`, `IsolatedCircuitException` ->
 *   `CircuitIsolatedError`; `RetryAfter` (TimeSpan) -> `retryAfter` (ms); `InnerException` -> `cause`.
 * - `_blockedUntil - now` (read by reflection in Polly's tests) -> `breaker.retryAfter`.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitIsolatedError, CircuitOpenError, isCircuitOpenError, timeWindow } from 'circuitry';
import type { BreakerOptions } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

const S = 1000;
const MIN = 60 * S;
/** Polly's default BreakDuration, used by CircuitStateControllerTests. */
const BREAK = 5 * S;

class InvalidOperationException extends Error {}
class ArgumentException extends Error {}

type Settled = { value: unknown } | { error: unknown };
const settle = (p: Promise<unknown>): Promise<Settled> => p.then((value) => ({ value }), (error: unknown) => ({ error }));
const errorOf = (s: Settled): unknown => ('error' in s ? s.error : undefined);

/**
 * The controller fixture: one handled failure breaks the circuit (the mocked behavior's
 * `shouldBreak = true`), Polly's default 5 s break, InvalidOperationException handled and
 * ArgumentException not, a result of -1 or 99 handled.
 */
function controller(options: BreakerOptions = {}) {
  const clock = manualClock(0);
  const log: string[] = [];
  const breaker = new CircuitBreaker({
    name: 'polly',
    registry: false,
    clock,
    failureThreshold: 1,
    recoveryTimeout: BREAK,
    expectedError: InvalidOperationException,
    isFailure: (result) => result === -1 || result === 99,
    onOpen: () => log.push('opened'),
    onClose: () => log.push('closed'),
    onHalfOpen: () => log.push('half-opened'),
    ...options,
  });
  let ran = 0;
  /** One execution: a number is returned as the result, 'throw' / 'unhandled' throw. */
  const execute = (outcome: number | 'throw' | 'unhandled'): Promise<Settled> =>
    settle(
      breaker.execute(async () => {
        ran += 1;
        if (outcome === 'throw') throw new InvalidOperationException('handled');
        if (outcome === 'unhandled') throw new ArgumentException('unhandled');
        return outcome;
      }),
    );
  /** An execution admitted now that settles when the test says. */
  const hold = () => {
    const d = deferred<number>();
    const settled = settle(
      breaker.execute(() => {
        ran += 1;
        return d.promise;
      }),
    );
    return { ...d, settled };
  };
  /** Polly's TransitionToState(HalfOpen): break, advance BreakDuration, one pre-execute. */
  const toHalfOpen = async () => {
    await execute(-1);
    expect(breaker.state).toBe('open');
    clock.advance(BREAK);
    const probe = hold();
    await flush();
    expect(breaker.state).toBe('half-open');
    return probe;
  };
  return { clock, breaker, log, execute, hold, toHalfOpen, ran: () => ran };
}

describe('Polly: CircuitStateControllerTests', () => {
  it('Ctor_EnsureDefaults: a new breaker is closed, with no last failure', () => {
    const { breaker } = controller();
    expect(breaker.state).toBe('closed');
    expect(breaker.lastFailure).toBeUndefined();
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.retryAfter).toBe(0);
  });

  it('IsolateAsync_Ok: isolating refuses calls with CircuitIsolatedError for an unbounded time, and closing lets calls through again', async () => {
    const { breaker, clock, execute, log } = controller();
    const changes: string[] = [];
    breaker.on('stateChange', ({ from, to }) => changes.push(`${from}->${to}`));
    clock.advance(S);
    breaker.isolate();
    expect(breaker.state).toBe('isolated');
    // Polly: OnOpened with BreakDuration = TimeSpan.MaxValue. circuitry: retryAfter = Infinity.
    expect(breaker.retryAfter).toBe(Infinity);
    const refused = errorOf(await execute(0));
    expect(refused).toBeInstanceOf(CircuitIsolatedError);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    // Isolation is not an opening (Polly fires OnOpened with IsManual = true; circuitry fires
    // onStateChange closed -> isolated, and onOpen only for 'open': documented, README options table).
    expect(log).toEqual([]);
    expect(changes).toEqual(['closed->isolated']);
    breaker.close();
    expect(breaker.state).toBe('closed');
    expect(await execute(0)).toEqual({ value: 0 });
    expect(log).toEqual(['closed']);
    expect(changes).toEqual(['closed->isolated', 'isolated->closed']);
  });

  it('BreakAsync_Ok (CloseAsync after IsolateAsync): the close event fires once, from isolated', () => {
    const { breaker } = controller();
    const closes: string[] = [];
    breaker.on('close', ({ from }) => closes.push(from));
    breaker.isolate();
    breaker.close();
    expect(closes).toEqual(['isolated']);
    expect(breaker.state).toBe('closed');
  });

  it('OnActionPreExecute_CircuitOpenedByValue: a handled result opens the circuit; the next call is refused and blocked for exactly the break duration', async () => {
    const { breaker, execute } = controller();
    expect(await execute(99)).toEqual({ value: 99 }); // the caller still gets the value
    const refused = errorOf(await execute(0));
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).not.toBeInstanceOf(CircuitIsolatedError);
    expect((refused as CircuitOpenError).retryAfter).toBe(BREAK);
    expect(breaker.retryAfter).toBe(BREAK);
  });

  it('opened by a value, the refusal carries that value as its cause (Polly: InnerException null; circuitry documents cause as the counted failure, a value isFailure judged included)', async () => {
    const { breaker, execute } = controller();
    await execute(99);
    const refused = errorOf(await execute(0)) as CircuitOpenError;
    expect(refused.cause).toBe(99);
    expect(breaker.lastFailure).toBe(99);
  });

  it('OnActionPreExecute_CircuitOpened_EnsureExceptionStackTraceDoesNotGrow: 100 refusals carry one constant message, the original as cause, and no stack of their own', async () => {
    for (const byException of [true, false]) {
      const { execute } = controller();
      const opening = await execute(byException ? 'throw' : 99);
      const stacks = new Set<string | undefined>();
      const messages = new Set<string>();
      for (let i = 0; i < 100; i++) {
        const refused = errorOf(await execute(0)) as CircuitOpenError;
        expect(refused).toBeInstanceOf(CircuitOpenError);
        stacks.add(refused.stack);
        messages.add(refused.message);
        if (byException) expect(refused.cause).toBe(errorOf(opening));
      }
      expect(stacks.size).toBe(1);
      expect(messages).toEqual(new Set(['Circuit "polly" is open; a trial call will be allowed in 5000 ms']));
      // README, Performance: a refusal has no stack trace of its own.
      expect([...stacks][0]).not.toMatch(/\n\s+at /);
    }
  });

  it('HalfOpen_EnsureBreakDuration: admitting the probe blocks other callers for one more break duration', async () => {
    const { breaker, clock, execute, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    expect(breaker.retryAfter).toBe(BREAK);
    const refused = errorOf(await execute(0)) as CircuitOpenError;
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused.state).toBe('half-open');
    expect(refused.retryAfter).toBe(BREAK);
    clock.advance(2 * S);
    expect(breaker.retryAfter).toBe(3 * S);
    probe.resolve(0);
    await probe.settled;
  });

  it('HalfOpen_EnsureCorrectStateTransitionAfterExecution(true): a probe success closes the circuit', async () => {
    const { breaker, log, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    probe.resolve(0);
    expect(await probe.settled).toEqual({ value: 0 });
    expect(breaker.state).toBe('closed');
    expect(log).toEqual(['opened', 'half-opened', 'closed']);
  });

  it('HalfOpen_EnsureCorrectStateTransitionAfterExecution(false): a handled probe result re-opens the circuit', async () => {
    const { breaker, log, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    probe.resolve(-1);
    expect(await probe.settled).toEqual({ value: -1 });
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(BREAK);
    expect(log).toEqual(['opened', 'half-opened', 'opened']);
  });

  it('OnActionPreExecute_CircuitOpenedByException: the refusal carries the exception that opened the circuit as its cause', async () => {
    const { execute } = controller();
    const opening = errorOf(await execute('throw'));
    expect(opening).toBeInstanceOf(InvalidOperationException);
    const refused = errorOf(await execute(0)) as CircuitOpenError;
    expect(refused.cause).toBe(opening);
  });

  it('OnActionFailure_EnsureLock: a burst of concurrent failures opens the circuit once', async () => {
    const { breaker, hold, log } = controller();
    const calls = Array.from({ length: 10 }, () => hold());
    await flush();
    for (const call of calls) call.reject(new InvalidOperationException('burst'));
    await Promise.all(calls.map((c) => c.settled));
    expect(breaker.state).toBe('open');
    expect(log).toEqual(['opened']);
    expect(breaker.retryAfter).toBe(BREAK);
  });

  it('OnActionPreExecute_HalfOpen: after the break the first call is the probe, the second is refused, and OnHalfOpened fired', async () => {
    const { breaker, clock, execute, hold, log, ran } = controller();
    await execute(-1);
    clock.advance(BREAK);
    const probe = hold();
    const second = errorOf(await execute(0));
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect(second).not.toBeInstanceOf(CircuitIsolatedError);
    expect(breaker.state).toBe('half-open');
    expect(log).toEqual(['opened', 'half-opened']);
    expect(ran()).toBe(2); // the opening call and the probe; the refused one never ran
    probe.resolve(0);
    await probe.settled;
  });

  it('OnActionSuccess_EnsureCorrectBehavior(Closed -> Closed): a success in closed changes nothing and fires no OnClosed', async () => {
    const { breaker, execute, log } = controller();
    expect(await execute(10)).toEqual({ value: 10 });
    expect(breaker.state).toBe('closed');
    expect(log).toEqual([]);
  });

  it('OnActionSuccess_EnsureCorrectBehavior(Isolated -> Isolated): a success that lands while isolated leaves it isolated', async () => {
    const { breaker, hold, log } = controller();
    const call = hold();
    await flush();
    breaker.isolate();
    call.resolve(10);
    expect(await call.settled).toEqual({ value: 10 });
    expect(breaker.state).toBe('isolated');
    expect(log).toEqual([]);
  });

  it('OnActionFailureAsync_EnsureCorrectBehavior(Closed -> Closed): a handled failure that does not reach the threshold keeps it closed', async () => {
    const { breaker, execute, log } = controller({ failureThreshold: 2 });
    expect(await execute(99)).toEqual({ value: 99 });
    expect(breaker.state).toBe('closed');
    expect(breaker.lastFailure).toBe(99); // LastHandledOutcome.Result == 99
    expect(log).toEqual([]);
  });

  it('OnActionFailureAsync_EnsureCorrectBehavior(Open -> Open): a late failure while open neither re-fires OnOpened nor extends the break', async () => {
    const { breaker, clock, execute, hold, log } = controller();
    const late = hold(); // admitted while closed
    await flush();
    await execute('throw');
    expect(breaker.state).toBe('open');
    clock.advance(S);
    late.resolve(99);
    expect(await late.settled).toEqual({ value: 99 }); // the caller's result is not masked
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(BREAK - S);
    expect(log).toEqual(['opened']);
  });

  it('OnActionSuccess while Open: a late success from a call admitted while closed does not close the circuit (only time governs Open -> HalfOpen)', async () => {
    const { breaker, hold, execute, log } = controller();
    const late = hold();
    await flush();
    await execute('throw');
    late.resolve(10);
    expect(await late.settled).toEqual({ value: 10 });
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(BREAK);
    expect(log).toEqual(['opened']);
  });

  it('a probe in flight when the circuit is isolated cannot close it with its success', async () => {
    const { breaker, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    breaker.isolate();
    probe.resolve(0);
    expect(await probe.settled).toEqual({ value: 0 });
    expect(breaker.state).toBe('isolated');
  });

  it('OnActionFailureAsync_EnsureCorrectBehavior(Isolated -> Isolated): a failure that lands while isolated leaves it isolated', async () => {
    const { breaker, hold, log } = controller();
    const call = hold();
    await flush();
    breaker.isolate();
    call.reject(new InvalidOperationException('late'));
    expect(errorOf(await call.settled)).toBeInstanceOf(InvalidOperationException);
    expect(breaker.state).toBe('isolated');
    expect(log).toEqual([]);
  });

  it('OnActionFailureAsync_VoidResult_EnsureBreakingExceptionNotSet: a late failure while open keeps it open and is counted, but refusals keep carrying the failure that opened it (Polly\'s SetLastHandledOutcome takes the late one: documented difference, README Semantics 4)', async () => {
    const { breaker, execute, hold, log } = controller();
    const late = hold();
    await flush();
    const opening = errorOf(await execute('throw'));
    const retryAfter = breaker.retryAfter;
    late.reject(new InvalidOperationException('late'));
    const lateError = errorOf(await late.settled);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(retryAfter);
    expect(log).toEqual(['opened']);
    const refused = errorOf(await execute(0));
    expect(refused).toBeInstanceOf(CircuitOpenError);
    // Polly: the late failure. circuitry: the one that opened the circuit (the late one still counts).
    expect(lateError).toBeInstanceOf(InvalidOperationException);
    expect((refused as CircuitOpenError).cause).toBe(opening);
    expect(breaker.lastFailure).toBe(opening);
    expect(breaker.stats()).toMatchObject({ failures: 2, rejections: 1 });
  });

  it('OnActionFailureAsync_EnsureBreakDurationGeneration: the generated duration (42 min) is how long the circuit stays open', async () => {
    const seen: number[] = [];
    const { breaker, clock, execute } = controller({
      recoveryTimeout: (openings) => {
        seen.push(openings);
        return 42 * MIN;
      },
    });
    clock.set(Date.UTC(2023, 11, 12, 12, 34, 56));
    await execute(99);
    expect(breaker.retryAfter).toBe(42 * MIN);
    // Polly's generator gets FailureRate and FailureCount; circuitry's gets the openings in a row
    // only (README, Growing recovery times): documented difference.
    expect(seen).toEqual([1]);
    clock.advance(42 * MIN - 1);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('OnCircuitOpenedArguments.BreakDuration: inside onOpen the breaker already reports the generated break as retryAfter (1 s, then 2 s)', async () => {
    const seen: number[] = [];
    const { clock, execute } = controller({
      recoveryTimeout: (openings) => openings * S,
      onOpen: (b) => seen.push(b.retryAfter),
    });
    await execute(-1);
    clock.advance(S);
    await execute(-1);
    expect(seen).toEqual([S, 2 * S]);
  });

  it('a hung probe blocks the next one for the current generated break, 2 s on the second opening (Polly re-blocks half-open for the configured BreakDuration even with a generator: peer quirk)', async () => {
    const { breaker, clock, execute, hold } = controller({ recoveryTimeout: (openings) => openings * S });
    await execute(-1);
    clock.advance(S);
    await execute(-1); // the first probe fails: second opening, 2 s
    clock.advance(2 * S);
    const stuck = hold();
    const refused = errorOf(await execute(0)) as CircuitOpenError;
    expect(refused.state).toBe('half-open');
    expect(refused.retryAfter).toBe(2 * S);
    clock.advance(2 * S);
    expect(await execute(0)).toEqual({ value: 0 });
    expect(breaker.state).toBe('closed');
    stuck.resolve(0);
    await stuck.settled;
  });

  it('BreakDurationGenerator_EnsureHalfOpenAttempts: HalfOpenAttempts 0,1,2,3,4 then 0,1,2 after a close is openings - 1', async () => {
    const attempts: number[] = [];
    const { breaker, clock, execute } = controller({
      recoveryTimeout: (openings) => {
        attempts.push(openings - 1);
        return 1;
      },
    });
    const openThenHalfOpen = async () => {
      await execute(-1);
      expect(breaker.state).toBe('open');
      clock.advance(1);
      expect(breaker.state).toBe('half-open');
    };
    for (let i = 0; i < 5; i++) await openThenHalfOpen();
    expect(await execute(0)).toEqual({ value: 0 });
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) await openThenHalfOpen();
    expect(attempts).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
  });

  it('OnActionFailureAsync_EnsureBreakDurationNotOverflow: a break far past the end of time keeps the circuit open instead of wrapping around', async () => {
    const { breaker, clock, execute } = controller({ recoveryTimeout: () => Number.MAX_VALUE });
    clock.set(8.64e15); // the last instant a Date can hold
    await execute(-1);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBeGreaterThan(1e300);
    expect(Number.isFinite(breaker.retryAfter)).toBe(true);
    clock.advance(365 * 24 * 60 * MIN);
    expect(breaker.state).toBe('open');
  });

  it('Flow_Closed_HalfOpen_Closed', async () => {
    const { breaker, log, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    probe.resolve(0);
    await probe.settled;
    expect(breaker.state).toBe('closed');
    expect(log).toEqual(['opened', 'half-opened', 'closed']);
  });

  it('Flow_Closed_HalfOpen_Open_HalfOpen_Closed: a failed probe re-opens, 1 ms later calls are refused, after the break the next probe closes it', async () => {
    const { breaker, clock, execute, log, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    probe.resolve(-1);
    await probe.settled;
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitOpenError);
    clock.advance(2 * BREAK);
    expect(await execute(0)).toEqual({ value: 0 });
    expect(breaker.state).toBe('closed');
    expect(log).toEqual(['opened', 'half-opened', 'opened', 'half-opened', 'closed']);
  });
});

/** A breaker on Polly's failure-ratio rule: `FailureRatio`, `MinimumThroughput`, `SamplingDuration`. */
function advanced(failureRate: number, minimumCalls: number, duration = 10 * S, options: BreakerOptions = {}) {
  const clock = manualClock(0);
  const breaker = new CircuitBreaker({
    name: 'polly-advanced',
    registry: false,
    clock,
    recoveryTimeout: BREAK,
    policy: timeWindow({ duration, failureRate, minimumCalls }),
    ...options,
  });
  const call = (ok: boolean) =>
    settle(
      breaker.execute(async () => {
        if (!ok) throw new InvalidOperationException('fail');
        return 'ok';
      }),
    );
  /** Runs `successes` successes, then `failures` failures. */
  const feed = async (successes: number, failures: number) => {
    for (let i = 0; i < successes; i++) await call(true);
    for (let i = 0; i < failures; i++) await call(false);
  };
  return { clock, breaker, call, feed };
}

describe('Polly: AdvancedCircuitBehaviorTests (failure ratio, minimum throughput)', () => {
  // [throughput, minimumThroughput, failureRate, failureThreshold, shouldBreak] as calls fed in.
  it.each([
    { calls: '10 calls, no failure (ratio 0.0 < 0.1)', successes: 10, failures: 0, open: false },
    { calls: '10 calls, 1 failure (ratio 0.1 = 0.1: at the threshold breaks)', successes: 9, failures: 1, open: true },
    { calls: '10 calls, 2 failures (ratio 0.2 > 0.1)', successes: 8, failures: 2, open: true },
    { calls: '12 calls, 2 failures (throughput above the minimum, ratio 0.167)', successes: 10, failures: 2, open: true },
    { calls: '9 calls, 1 failure (ratio 0.11 but throughput below the minimum of 10)', successes: 8, failures: 1, open: false },
  ])('OnActionFailure_WhenClosed_EnsureCorrectBehavior: $calls -> open: $open', async ({ successes, failures, open }) => {
    const { breaker, feed } = advanced(0.1, 10);
    await feed(successes, failures);
    expect(breaker.state).toBe(open ? 'open' : 'closed');
  });

  it('12 calls with the ratio reaching 0.1 only on the 12th: closed after 11 (1/11 = 0.09), open after 12', async () => {
    const { breaker, feed, call } = advanced(0.1, 10);
    await feed(10, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 11, failures: 1, slowCalls: 0 });
    await call(false);
    expect(breaker.state).toBe('open');
  });

  it('OnActionFailure_State_EnsureCorrectCalls(HalfOpen): a failed probe re-opens by itself and never enters the ratio window', async () => {
    const { breaker, clock, feed, call } = advanced(0.5, 2);
    await feed(0, 2);
    expect(breaker.state).toBe('open');
    clock.advance(BREAK);
    await call(false);
    expect(breaker.state).toBe('open');
    expect(breaker.stats().window).toEqual({ calls: 2, failures: 2, slowCalls: 0 });
  });

  it('OnCircuitClosed_Ok: closing the circuit resets the health metrics', async () => {
    const { breaker, clock, feed, call } = advanced(0.5, 4);
    await feed(1, 3);
    expect(breaker.state).toBe('open');
    clock.advance(BREAK);
    await call(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    // One failure after the close is 1 of 1, not the old 3 of 4 plus one.
    await call(false);
    expect(breaker.state).toBe('closed');
  });
});

describe('Polly: RollingHealthMetricsTests (10 s sampling in 10 windows), through the window circuitry keeps', () => {
  const window = (b: CircuitBreaker) => b.stats().window!;

  it('Ctor_EnsureDefaults: an empty window', () => {
    const { breaker } = advanced(0.5, 100);
    expect(window(breaker)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('Increment_Ok: 1 failure and 4 successes are a throughput of 5 and a ratio of 0.2', async () => {
    const { breaker, call, feed } = advanced(0.5, 100);
    await call(false);
    await feed(4, 0);
    const w = window(breaker);
    expect(w.calls).toBe(5);
    expect(w.failures / w.calls).toBe(0.2);
  });

  it('GetHealthInfo_EnsureWindowRespected: (2, 0.5), (4, 0.5), (8, 0.25), (8, 0.125), (6, 0)', async () => {
    const { breaker, clock, call } = advanced(0.9, 100);
    const health: [number, number][] = [];
    const read = () => {
      const w = window(breaker);
      health.push([w.calls, w.failures / w.calls]);
    };
    for (let i = 0; i < 5; i++) {
      await call(i >= 2);
      await call(true);
      clock.advance(2 * S);
      read();
    }
    clock.advance(2 * S);
    read();
    expect(health[0]).toEqual([2, 0.5]);
    expect(health[1]).toEqual([4, 0.5]);
    expect(health[3]).toEqual([8, 0.25]);
    expect(health[4]).toEqual([8, 0.125]);
    expect(health[5]).toEqual([6, 0]);
  });

  it('GetHealthInfo_EnsureWindowCapacityRespected: one success a second for 10 s reads 9 after the 10th second, then 8', async () => {
    const { breaker, clock, call } = advanced(0.5, 100);
    for (let i = 0; i < 10; i++) {
      await call(true);
      clock.advance(S);
    }
    expect(window(breaker).calls).toBe(9);
    clock.advance(S);
    expect(window(breaker).calls).toBe(8);
  });

  it('Reset_Ok: a reset empties the window', async () => {
    const { breaker, call } = advanced(0.5, 100);
    await call(true);
    breaker.reset();
    expect(window(breaker).calls).toBe(0);
  });

  it.each([0, 1])('GetHealthInfo_SamplingDurationRespected: calls are gone exactly SamplingDuration (+%i ms) later', async (variance) => {
    const { breaker, clock, feed } = advanced(0.5, 100);
    await feed(2, 0);
    clock.advance(10 * S + variance);
    expect(window(breaker)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });
});

describe('Polly: sampling-window edge cases', () => {
  it('failures that expire before the minimum throughput is met never open the circuit', async () => {
    const { breaker, clock, feed } = advanced(0.5, 4);
    await feed(0, 3);
    clock.advance(10 * S);
    await feed(0, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('failures at the end of one second and the start of the next add up within the sampling duration', async () => {
    const { breaker, clock, feed } = advanced(0.5, 4);
    clock.advance(900);
    await feed(0, 2);
    clock.advance(200); // into the next 1 s window
    await feed(0, 1);
    expect(breaker.state).toBe('closed');
    clock.advance(8_800); // 9.9 s after the first failures
    await feed(0, 1);
    expect(breaker.state).toBe('open');
  });

  it('a call lives until its whole window leaves: one at 1.9 s counts until 10.9 s, not 11.9 s (windows are slices of the duration; documented: "the oldest slice expires whole")', async () => {
    // Polly starts a window at the first call after the last one ended, so the same call would
    // count until 11.9 s; circuitry cuts the duration into fixed slices from the first call.
    const { breaker, clock, call } = advanced(0.5, 100);
    await call(true); // t = 0: the slices are [0, 1), [1, 2), ...
    clock.set(1_900);
    await call(false);
    clock.set(10_999);
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    clock.set(11_000);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });
});

describe('Polly: CircuitBreakerResilienceStrategyTests (ShouldHandle)', () => {
  it('Execute_HandledResult_OnFailureCalled: a handled result is returned to the caller and counted as a failure', async () => {
    const { breaker, execute } = controller({ failureThreshold: 3 });
    const failures: unknown[] = [];
    breaker.on('failure', ({ error }) => failures.push(error));
    expect(await execute(-1)).toEqual({ value: -1 });
    expect(failures).toEqual([-1]);
    expect(breaker.consecutiveFailures).toBe(1);
  });

  it('Execute_UnhandledResult_OnActionSuccess: an unhandled result is a success', async () => {
    const { breaker, execute } = controller({ failureThreshold: 3 });
    await execute(-1);
    expect(await execute(0)).toEqual({ value: 0 });
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 1, consecutiveFailures: 0 });
  });

  it('Execute_HandledException_OnFailureCalled: a handled exception is rethrown as it is and counted', async () => {
    const { breaker, execute } = controller({ failureThreshold: 3 });
    const error = errorOf(await execute('throw'));
    expect(error).toBeInstanceOf(InvalidOperationException);
    expect(breaker.stats()).toMatchObject({ failures: 1, successes: 0 });
  });

  it('Execute_UnhandledException: rethrown as it is and counted as neither outcome (Polly counts it as a success: documented difference)', async () => {
    const { breaker, execute } = controller({ failureThreshold: 2 });
    await execute('throw');
    expect(breaker.consecutiveFailures).toBe(1);
    const error = errorOf(await execute('unhandled'));
    expect(error).toBeInstanceOf(ArgumentException);
    // Polly's OnActionSuccess would reset the consecutive count; circuitry leaves it alone.
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 1, ignored: 1, consecutiveFailures: 1 });
    await execute('throw');
    expect(breaker.state).toBe('open');
  });

  it('an unhandled exception does not dilute the failure ratio (Polly counts it as a success in the ratio: documented difference)', async () => {
    const { breaker, call } = advanced(0.5, 2, 10 * S, { expectedError: InvalidOperationException });
    await call(false);
    await settle(breaker.execute(async () => Promise.reject(new ArgumentException('unhandled'))));
    expect(breaker.stats().window).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    await call(false);
    expect(breaker.state).toBe('open'); // 2 of 2; in Polly 2 of 3 (0.67) also opens, 1 of 2 would not
  });

  it('Ctor_ManualControl_EnsureAttached: isolated calls fail with CircuitIsolatedError whose retryAfter is Infinity (Polly: RetryAfter null; documented)', async () => {
    const { breaker, execute } = controller();
    breaker.isolate();
    const refused = errorOf(await execute(0)) as CircuitIsolatedError;
    expect(refused).toBeInstanceOf(CircuitIsolatedError);
    expect(refused.retryAfter).toBe(Infinity);
    expect(refused.state).toBe('isolated');
    expect(isCircuitOpenError(refused)).toBe(true); // Polly: IsolatedCircuitException : BrokenCircuitException
    breaker.close();
    expect(await execute(0)).toEqual({ value: 0 });
  });
});

describe('Polly: CircuitBreakerOptionsTests', () => {
  it('defaults differ and are documented: opens after 5 failures in a row and stays open 30 s (Polly: a 0.1 ratio over 100 calls in 30 s, a 5 s break)', async () => {
    const clock = manualClock(0);
    const breaker = new CircuitBreaker({ registry: false, clock });
    for (let i = 0; i < 4; i++) await settle(breaker.execute(() => Promise.reject(new Error('x'))));
    expect(breaker.state).toBe('closed');
    await settle(breaker.execute(() => Promise.reject(new Error('x'))));
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(30 * S);
  });

  it('ShouldHandle_EnsureDefaults: every error counts by default, an AbortError included (Polly leaves OperationCanceledException out: documented, expectedError default "every error")', async () => {
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 2, clock: manualClock(0) });
    const abort = new DOMException('aborted', 'AbortError');
    expect(errorOf(await settle(breaker.execute(() => Promise.reject(abort))))).toBe(abort);
    expect(breaker.consecutiveFailures).toBe(1);
    expect(await settle(breaker.execute(async () => 'dummy'))).toEqual({ value: 'dummy' });
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('InvalidOptions_Validate: a failure ratio of 0 or above 1 is refused, 1 is accepted (Should_throw_if_failure_threshold_is_zero / greater_than_one)', () => {
    expect(() => timeWindow({ duration: 10 * S, failureRate: 0 })).toThrow(RangeError);
    expect(() => timeWindow({ duration: 10 * S, failureRate: -0.5 })).toThrow(RangeError);
    expect(() => timeWindow({ duration: 10 * S, failureRate: 1.01 })).toThrow(RangeError);
    expect(() => timeWindow({ duration: 10 * S, failureRate: 1 })).not.toThrow();
  });

  it('InvalidOptions_Validate: zero durations are refused; below Polly\'s 500 ms minimum is accepted (circuitry asks only for a positive duration: documented)', () => {
    expect(() => timeWindow({ duration: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: 299 })).not.toThrow();
    expect(() => timeWindow({ duration: 100 })).not.toThrow();
  });

  it('InvalidOptions_Validate: a minimum throughput of 0 is refused', () => {
    expect(() => timeWindow({ duration: 10 * S, minimumCalls: 0 })).toThrow(RangeError);
  });
});

describe('Polly: CircuitBreakerResiliencePipelineBuilderTests', () => {
  it('AddCircuitBreaker_IntegrationTest: ratio 0.5 over 10 calls in 10 s, 1 s break; counts of OnOpened / OnHalfOpened / OnClosed go 1/0/0, 2/1/0, 2/2/1', async () => {
    const counts = { opened: 0, halfOpened: 0, closed: 0 };
    const clock = manualClock(0);
    const breaker = new CircuitBreaker({
      registry: false,
      clock,
      policy: timeWindow({ duration: 10 * S, failureRate: 0.5, minimumCalls: 10 }),
      recoveryTimeout: S,
      isFailure: (result) => result === -1,
      onOpen: () => counts.opened++,
      onHalfOpen: () => counts.halfOpened++,
      onClose: () => counts.closed++,
    });
    const execute = (value: number) => settle(breaker.execute(async () => value));
    for (let i = 0; i < 10; i++) expect(await execute(-1)).toEqual({ value: -1 });
    expect(counts).toEqual({ opened: 1, halfOpened: 0, closed: 0 });
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitOpenError);

    clock.advance(S);
    await execute(-1);
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitOpenError);
    expect(counts).toEqual({ opened: 2, halfOpened: 1, closed: 0 });

    clock.advance(S);
    expect(await execute(0)).toEqual({ value: 0 });
    expect(counts).toEqual({ opened: 2, halfOpened: 2, closed: 1 });
  });

  it('AddCircuitBreaker_Validation: an invalid break duration fails when the breaker is built', () => {
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: -1 })).toThrow(/recoveryTimeout/);
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: Number.NEGATIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('Polly: IssuesTests.CircuitBreakerStateSharing_959', () => {
  it('results of different types share one circuit: 5 int and 5 string failures open it for both, and it recovers for both', async () => {
    const clock = manualClock(0);
    const breaker = new CircuitBreaker({
      registry: false,
      clock,
      policy: timeWindow({ duration: 30 * S, failureRate: 1, minimumCalls: 10 }),
      recoveryTimeout: BREAK,
      isFailure: (result) => result === -1 || result === 'error',
    });
    for (let i = 0; i < 5; i++) {
      await breaker.execute(async () => -1);
      await breaker.execute(async () => 'error');
    }
    await expect(breaker.execute(async () => 0)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(breaker.execute(async () => 'valid-result')).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(BREAK);
    await expect(breaker.execute(async () => 0)).resolves.toBe(0);
    await expect(breaker.execute(async () => 'valid-result')).resolves.toBe('valid-result');
  });
});

describe('Polly: CircuitBreakerManualControlTests and CircuitBreakerStateProviderTests', () => {
  it('Initialize_Ok: state and last handled outcome are readable at any time', async () => {
    const { breaker, execute } = controller();
    expect(breaker.state).toBe('closed');
    expect(breaker.lastFailure).toBeUndefined();
    const error = errorOf(await execute('throw'));
    expect(breaker.state).toBe('open');
    expect(breaker.lastFailure).toBe(error);
  });

  it('isolation holds however long the break would have been (BreakDuration = TimeSpan.MaxValue)', async () => {
    const { breaker, clock, execute } = controller();
    breaker.isolate();
    clock.advance(365 * 24 * 60 * MIN);
    expect(breaker.state).toBe('isolated');
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitIsolatedError);
  });

  it('isolating an open circuit makes it isolated, and CloseAsync closes it with fresh counts', async () => {
    const { breaker, execute } = controller({ failureThreshold: 2 });
    await execute('throw');
    await execute('throw');
    expect(breaker.state).toBe('open');
    breaker.isolate();
    expect(breaker.state).toBe('isolated');
    breaker.close();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    await execute('throw');
    expect(breaker.state).toBe('closed');
  });

  it('releasing an isolation turns the circuit half-open, not closed (Polly has no release: CloseAsync closes; documented: "when the last is released the circuit turns half-open")', async () => {
    const { breaker, execute } = controller();
    const release = breaker.isolate();
    release();
    expect(breaker.state).toBe('half-open');
    expect(await execute(-1)).toEqual({ value: -1 }); // the trial decides
    expect(breaker.state).toBe('open');
  });

  it('two isolations need two releases, where one CloseAsync ends Polly\'s isolation (documented: "holds add up")', () => {
    const { breaker } = controller();
    const first = breaker.isolate();
    const second = breaker.isolate();
    first();
    expect(breaker.state).toBe('isolated');
    second();
    expect(breaker.state).toBe('half-open');
  });

  it('a release kept from before a close does nothing afterwards (documented: close() drops every hold)', () => {
    const { breaker } = controller();
    const release = breaker.isolate();
    breaker.close();
    breaker.isolate();
    release();
    expect(breaker.state).toBe('isolated');
  });

  it('the state reads half-open once the break has passed, before any call, and OnHalfOpened fires with the execution, as in Polly (#481: documented, Semantics 5)', async () => {
    const { breaker, clock, execute, log } = controller();
    await execute(-1);
    clock.advance(BREAK);
    expect(breaker.state).toBe('half-open');
    expect(log).toEqual(['opened']);
    expect(await execute(0)).toEqual({ value: 0 }); // the probe: OnHalfOpened is not fired twice
    expect(log).toEqual(['opened', 'half-opened', 'closed']);
  });
});

describe('Polly: RetryAfter (BrokenCircuitException.RetryAfter, #2284 / #2324)', () => {
  it('counts down with the clock and reaches 0 exactly when a probe is admitted', async () => {
    const { breaker, clock, execute } = controller();
    await execute(-1);
    const readings: number[] = [];
    for (const step of [0, 1, 2_499, 2_499, 1]) {
      clock.advance(step);
      const refused = errorOf(await execute(0));
      readings.push(refused === undefined ? 0 : (refused as CircuitOpenError).retryAfter);
    }
    expect(readings).toEqual([5_000, 4_999, 2_500, 1, 0]);
    expect(breaker.state).toBe('closed'); // the last call was the probe, and succeeded
  });

  it('after a failed probe it is a full break again, measured from the probe\'s failure', async () => {
    const { breaker, clock, toHalfOpen } = controller();
    const probe = await toHalfOpen();
    clock.advance(1_200);
    probe.resolve(-1);
    await probe.settled;
    expect(breaker.retryAfter).toBe(BREAK);
  });

  it('follows a generated break duration, not the configured one', async () => {
    const { breaker, execute } = controller({ recoveryTimeout: (n) => n * 7 * S });
    const refused = errorOf(await (async () => {
      await execute(-1);
      return execute(0);
    })()) as CircuitOpenError;
    expect(refused.retryAfter).toBe(7 * S);
    expect(breaker.retryAfter).toBe(7 * S);
  });

  it('is a snapshot taken when the call is refused; the breaker\'s retryAfter is the live value', async () => {
    const { breaker, clock, execute } = controller();
    await execute(-1);
    const refused = errorOf(await execute(0)) as CircuitOpenError;
    clock.advance(2 * S);
    expect(refused.retryAfter).toBe(BREAK);
    expect(breaker.retryAfter).toBe(3 * S);
  });
});

describe('Polly: half-open (#216 stampede, #311 / #1979 unhandled probe exception, #2381)', () => {
  it('a slow probe admits one call; every other caller is refused at once, not queued (#216)', async () => {
    const { breaker, clock, execute, hold, ran } = controller();
    await execute(-1);
    clock.advance(BREAK);
    const probe = hold();
    const others = await Promise.all(Array.from({ length: 20 }, () => execute(0)));
    expect(others.every((o) => errorOf(o) instanceof CircuitOpenError)).toBe(true);
    expect(ran()).toBe(2);
    probe.resolve(0);
    await probe.settled;
    expect(breaker.state).toBe('closed');
  });

  it('a probe that never returns lets a new probe through one break duration after it started (PR #223 rule)', async () => {
    const { breaker, clock, execute, toHalfOpen } = controller();
    const stuck = await toHalfOpen();
    clock.advance(BREAK - 1);
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    expect(await execute(0)).toEqual({ value: 0 });
    expect(breaker.state).toBe('closed');
    // Polly would let the old probe's late outcome drive the state; circuitry ignores it (Semantics 10).
    stuck.resolve(-1);
    await stuck.settled;
    expect(breaker.state).toBe('closed');
  });

  it('a probe failing with an unhandled exception leaves it half-open and admits the next probe at once (Polly 8 closes the circuit; before the #1979 fix it stayed stuck: documented, Semantics 7)', async () => {
    const { breaker, clock, execute, log } = controller();
    await execute(-1);
    clock.advance(BREAK);
    const unhandled = errorOf(await execute('unhandled'));
    expect(unhandled).toBeInstanceOf(ArgumentException);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfter).toBe(0);
    expect(await execute(-1)).toEqual({ value: -1 }); // the next probe runs, and a handled failure re-opens
    expect(breaker.state).toBe('open');
    expect(log).toEqual(['opened', 'half-opened', 'opened']);
  });

  it('a handled exception after an unhandled one in half-open re-opens the circuit (#717)', async () => {
    const { breaker, clock, execute } = controller();
    await execute(-1);
    clock.advance(BREAK);
    await execute('unhandled');
    expect(errorOf(await execute('throw'))).toBeInstanceOf(InvalidOperationException);
    expect(breaker.state).toBe('open');
  });

  it('one probe decides, as in Polly; several probes and a success count are options here (#2381 asks Polly for a ratio in half-open)', async () => {
    const { breaker, clock, execute, hold } = controller({ halfOpenMaxCalls: 3, successThreshold: 3 });
    await execute(-1);
    clock.advance(BREAK);
    const probes = [hold(), hold(), hold()];
    await flush();
    expect(errorOf(await execute(0))).toBeInstanceOf(CircuitOpenError);
    probes[0]!.resolve(0);
    probes[1]!.resolve(0);
    await Promise.all([probes[0]!.settled, probes[1]!.settled]);
    expect(breaker.state).toBe('half-open');
    probes[2]!.resolve(0);
    await probes[2]!.settled;
    expect(breaker.state).toBe('closed');
  });

  it('the consecutive-failures breaker Polly 8 dropped (#1854) is the default: 3 in a row open, a success in between starts over', async () => {
    const { breaker, execute } = controller({ failureThreshold: 3 });
    await execute('throw');
    await execute('throw');
    await execute(0);
    await execute('throw');
    await execute('throw');
    expect(breaker.state).toBe('closed');
    await execute('throw');
    expect(breaker.state).toBe('open');
  });
});
