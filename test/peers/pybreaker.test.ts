/**
 * Behaviours that the Python breakers' own suites check, ported to circuitry's public API:
 * pybreaker (`tests/pybreaker_test.py`, memory storage) and fabfuel's `circuitbreaker`
 * (`tests/test_functional.py`, `tests/test_unit.py`). Both suites sleep to let time pass; here an
 * injected clock moves instead. Seconds become milliseconds.
 *
 * Mapping (docs/migrating/from-python.md):
 * - `fail_max` / `failure_threshold` -> `failureThreshold`; `reset_timeout` / `recovery_timeout`
 *   -> `recoveryTimeout`; `success_threshold` -> `successThreshold`.
 * - `exclude=[...]` -> `expectedError` with the inverted sense; `expected_exception` -> `expectedError`.
 * - `fail_counter` / `failure_count` -> `breaker.failures`; `success_counter` -> `toJSON().successes`
 *   while half-open; `open_remaining` -> `retryAfter`; `last_failure` -> `lastFailure`.
 * - `open()` / `close()` -> `open()` / `close()`; `half_open()` -> `isolate()` then release.
 * - `CircuitBreakerError` -> `CircuitOpenError`; `CircuitBreakerMonitor` -> a `CircuitRegistry`.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, CircuitRegistry, circuit, circuitSync, isCircuitOpenError, restoreBreaker } from 'circuitry';
import type { BreakerOptions, CircuitSnapshot } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

const S = 1000;

class IOError extends Error {}
class DbError extends Error {}
class ValidationError extends Error {}

function setup(options: BreakerOptions = {}) {
  const clock = manualClock();
  const breaker = new CircuitBreaker({ registry: false, clock, ...options });
  let calls = 0;
  const ok = circuitSync(
    (): boolean => {
      calls += 1;
      return true;
    },
    { breaker },
  );
  const boom = circuitSync(
    (error: Error = new IOError('boom')): never => {
      calls += 1;
      throw error;
    },
    { breaker },
  );
  /** Runs a call; returns what it threw (undefined when it returned). */
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error;
    }
  };
  return { clock, breaker, ok, boom, thrown, calls: () => calls };
}

const successes = (breaker: CircuitBreaker) => (breaker.toJSON() as Extract<CircuitSnapshot, { state: 'half-open' }>).successes;

describe('pybreaker: a closed breaker', () => {
  it('test_successful_call: returns the value; counter 0, state closed', () => {
    const { breaker, ok } = setup();
    expect(ok()).toBe(true);
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('test_one_failed_call: re-raises the original error; counter 1, state closed', () => {
    const { breaker, boom, thrown } = setup();
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(breaker.consecutiveFailures).toBe(1);
    expect(breaker.state).toBe('closed');
  });

  it('test_one_successful_call_after_failed_call: a success resets the counter to 0', () => {
    const { breaker, ok, boom, thrown } = setup();
    thrown(() => boom());
    expect(breaker.consecutiveFailures).toBe(1);
    ok();
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('test_several_failed_calls: the tripping call gets its own error here, not CircuitBreakerError (documented; pybreaker throw_new_error_on_trip=False)', () => {
    const { breaker, boom, thrown } = setup({ failureThreshold: 3 });
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    const trip = thrown(() => boom());
    expect(trip).toBeInstanceOf(IOError); // pybreaker default: CircuitBreakerError
    expect(isCircuitOpenError(trip)).toBe(false);
    expect(breaker.consecutiveFailures).toBe(3);
    expect(breaker.state).toBe('open');
  });

  it('test_throw_new_error_on_trip_false: after the trip, calls get CircuitOpenError without running, and the counter stays 3', () => {
    const { breaker, ok, boom, thrown, calls } = setup({ failureThreshold: 3 });
    for (let i = 0; i < 3; i++) thrown(() => boom());
    const before = calls();
    expect(thrown(() => boom())).toBeInstanceOf(CircuitOpenError);
    expect(thrown(() => ok())).toBeInstanceOf(CircuitOpenError);
    expect(calls()).toBe(before);
    expect(breaker.consecutiveFailures).toBe(3);
  });

  it('test_trip_error_keeps_original: the refusal carries the failure that opened the circuit as its cause', () => {
    const { boom, thrown } = setup({ failureThreshold: 1 });
    const original = new IOError('the real cause');
    thrown(() => boom(original));
    const refused = thrown(() => boom()) as CircuitOpenError;
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused.cause).toBe(original);
  });
});

describe('pybreaker: recovery', () => {
  it('test_failed_call_after_timeout: the trial runs after reset_timeout and fails; counter 4, open again', () => {
    const { breaker, clock, boom, thrown, calls } = setup({ failureThreshold: 3, recoveryTimeout: 500 });
    for (let i = 0; i < 3; i++) thrown(() => boom());
    expect(breaker.state).toBe('open');
    clock.advance(600);
    const before = calls();
    expect(thrown(() => boom())).toBeInstanceOf(IOError); // pybreaker: CircuitBreakerError
    expect(calls()).toBe(before + 1);
    expect(breaker.consecutiveFailures).toBe(4);
    expect(breaker.state).toBe('open');
  });

  it('test_successful_after_timeout: a success function is not called while open; after the timeout one success closes it', () => {
    const { breaker, clock, ok, boom, thrown, calls } = setup({ failureThreshold: 3, recoveryTimeout: 1 * S });
    for (let i = 0; i < 3; i++) thrown(() => boom());
    const before = calls();
    expect(thrown(() => ok())).toBeInstanceOf(CircuitOpenError);
    expect(calls()).toBe(before);
    clock.advance(2 * S);
    expect(ok()).toBe(true);
    expect(calls()).toBe(before + 1);
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('test_failed_call_when_halfopen: after a manual half-open (isolate + release), a failure re-opens it with counter 1', () => {
    const { breaker, boom, thrown } = setup();
    breaker.isolate()();
    expect(breaker.state).toBe('half-open');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(thrown(() => boom())).toBeInstanceOf(IOError); // pybreaker: CircuitBreakerError
    expect(breaker.consecutiveFailures).toBe(1);
    expect(breaker.state).toBe('open');
  });

  it('test_successful_call_when_halfopen: after a manual half-open, a success closes it with counter 0', () => {
    const { breaker, ok } = setup();
    breaker.isolate()();
    expect(ok()).toBe(true);
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('test_close: a manual close after a trip resets the counter', () => {
    const { breaker, boom, thrown } = setup({ failureThreshold: 3 });
    for (let i = 0; i < 3; i++) thrown(() => boom());
    breaker.close();
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('test_success_threshold: half-open successes 1 and 2 keep it half-open, the third closes it; a half-open failure re-opens it and drops the success count', () => {
    const { breaker, clock, ok, boom, thrown } = setup({ failureThreshold: 1, recoveryTimeout: 1 * S, successThreshold: 3 });
    thrown(() => boom());
    clock.advance(1 * S);
    ok();
    expect(breaker.state).toBe('half-open');
    expect(successes(breaker)).toBe(1);
    ok();
    expect(breaker.state).toBe('half-open');
    expect(successes(breaker)).toBe(2);
    ok();
    expect(breaker.state).toBe('closed');

    thrown(() => boom());
    clock.advance(1 * S);
    ok();
    expect(successes(breaker)).toBe(1);
    thrown(() => boom());
    expect(breaker.state).toBe('open');
    clock.advance(1 * S);
    expect(breaker.state).toBe('half-open');
    ok();
    expect(successes(breaker)).toBe(1); // counting starts again from 0 with the new half-open period
  });

  it('current_state lags in pybreaker (open until a call arrives); here the state reads half-open once the time is up, though only a call makes it so (documented)', () => {
    const { breaker, clock, boom, thrown } = setup({ failureThreshold: 1, recoveryTimeout: 1 * S });
    thrown(() => boom());
    clock.advance(1 * S);
    expect(breaker.state).toBe('half-open');
  });
});

describe('pybreaker: listeners', () => {
  it('test_transition_events: open(), half_open(), close() report closed->open, open->half-open, half-open->closed — with the isolation that stands for half_open() in between (documented mapping)', () => {
    const changes: string[] = [];
    const { breaker } = setup({ onStateChange: (from, to) => changes.push(`${from}->${to}`) });
    breaker.open();
    breaker.isolate()();
    breaker.close();
    expect(changes).toEqual(['closed->open', 'open->isolated', 'isolated->half-open', 'half-open->closed']);
  });

  it('test_call_events: success and failure are told for each call, in call order', () => {
    const events: string[] = [];
    const { breaker, ok, boom, thrown } = setup();
    breaker.on('success', () => events.push('success'));
    breaker.on('failure', ({ error }) => events.push(`failure:${(error as Error).message}`));
    ok();
    thrown(() => boom(new IOError('x')));
    expect(events).toEqual(['success', 'failure:x']);
  });

  it('the failure listener is told on the tripping call too, before the state change (pybreaker issue #16)', () => {
    const events: string[] = [];
    const { breaker, boom, thrown } = setup({ failureThreshold: 2, onStateChange: (from, to) => events.push(`${from}->${to}`) });
    breaker.on('failure', () => events.push('failure'));
    thrown(() => boom());
    thrown(() => boom());
    expect(events).toEqual(['failure', 'failure', 'closed->open']);
  });

  it('test_add_listener / remove_listener: on() returns a function that removes the listener', () => {
    const events: string[] = [];
    const { breaker, ok } = setup();
    const off = breaker.on('success', () => events.push('a'));
    breaker.on('success', () => events.push('b'));
    ok();
    off();
    ok();
    expect(events).toEqual(['a', 'b', 'b']);
  });

  it('listeners are not told on construction, but on a state change', () => {
    const changes: string[] = [];
    const breaker = new CircuitBreaker({ registry: false, onStateChange: (from, to) => changes.push(`${from}->${to}`) });
    expect(changes).toEqual([]);
    breaker.open();
    expect(changes).toEqual(['closed->open']);
  });

  it('a listener that throws does not reach the caller (pybreaker propagates it; documented)', () => {
    const reported: string[] = [];
    const { breaker, ok } = setup({ reportError: (_e, source) => reported.push(source) });
    breaker.on('success', () => {
      throw new Error('listener');
    });
    expect(ok()).toBe(true);
    expect(reported).toEqual(['success']);
  });

  it('state_change is not told for closed -> closed (pybreaker tells it; documented)', () => {
    const changes: string[] = [];
    const { breaker } = setup({ onStateChange: (from, to) => changes.push(`${from}->${to}`) });
    breaker.close();
    expect(changes).toEqual([]);
  });
});

describe('pybreaker: exclusion', () => {
  const excluding = (options: BreakerOptions = {}) =>
    setup({ expectedError: (error) => !(error instanceof ValidationError), ...options });

  it('test_excluded_exceptions: an excluded error is re-raised and counts neither way (pybreaker resets fail_counter to 0; documented)', () => {
    const { breaker, boom, thrown } = excluding();
    thrown(() => boom());
    expect(breaker.consecutiveFailures).toBe(1);
    expect(thrown(() => boom(new ValidationError('business')))).toBeInstanceOf(ValidationError);
    expect(breaker.consecutiveFailures).toBe(1); // pybreaker: 0
    expect(breaker.stats()).toMatchObject({ ignored: 1, successes: 0 });
  });

  it('an excluded subclass is excluded too, and a predicate can exclude', () => {
    class StrictValidationError extends ValidationError {}
    const { breaker, boom, thrown } = setup({
      expectedError: (error) => !(error instanceof ValidationError) && (error as Error).message !== 'skip me',
    });
    thrown(() => boom(new StrictValidationError('sub')));
    thrown(() => boom(new IOError('skip me')));
    expect(breaker.consecutiveFailures).toBe(0);
    thrown(() => boom(new IOError('count me')));
    expect(breaker.consecutiveFailures).toBe(1);
  });

  it('add/remove_excluded_exception: configure() swaps the filter at run time', () => {
    const { breaker, boom, thrown } = setup();
    thrown(() => boom(new ValidationError('counted')));
    expect(breaker.consecutiveFailures).toBe(1);
    breaker.configure({ expectedError: (error) => !(error instanceof ValidationError) });
    thrown(() => boom(new ValidationError('excluded')));
    expect(breaker.consecutiveFailures).toBe(1);
    breaker.configure({ expectedError: undefined });
    thrown(() => boom(new ValidationError('counted again')));
    expect(breaker.consecutiveFailures).toBe(2);
  });

  it('an excluded error in half-open keeps it half-open (pybreaker closes it; documented)', () => {
    const { breaker, clock, boom, thrown } = excluding({ failureThreshold: 1, recoveryTimeout: 1 * S });
    thrown(() => boom());
    clock.advance(1 * S);
    thrown(() => boom(new ValidationError('business')));
    expect(breaker.state).toBe('half-open');
  });
});

describe('pybreaker: settings', () => {
  it('test_default_params: fail_max 5 as pybreaker; the open time is 30 s, where pybreaker waits 60 s (documented)', () => {
    const { breaker, boom, thrown } = setup();
    for (let i = 0; i < 4; i++) thrown(() => boom());
    expect(breaker.state).toBe('closed');
    thrown(() => boom());
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(30 * S);
  });

  it('test_new_with_custom_reset_timeout / fail_max / success_threshold, and their setters through configure()', () => {
    const { breaker, clock, ok, boom, thrown } = setup({ failureThreshold: 2, recoveryTimeout: 30 * S });
    breaker.configure({ failureThreshold: 3, recoveryTimeout: 10 * S, successThreshold: 2 });
    thrown(() => boom());
    thrown(() => boom());
    expect(breaker.state).toBe('closed');
    thrown(() => boom());
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(10 * S);
    clock.advance(10 * S);
    ok();
    expect(breaker.state).toBe('half-open');
    ok();
    expect(breaker.state).toBe('closed');
  });

  it('a reset_timeout changed while open applies from the next opening; pybreaker measures the current one with the new value', () => {
    // pybreaker computes "opened_at + reset_timeout" at each call, so the setter shortens an
    // open period in progress. circuitry fixes the period when the circuit opens (README:
    // configure carries state over; nothing says the current opening is re-timed).
    const { breaker, clock, boom, thrown } = setup({ failureThreshold: 1, recoveryTimeout: 60 * S });
    thrown(() => boom());
    breaker.configure({ recoveryTimeout: 10 * S });
    clock.advance(10 * S);
    expect(breaker.state).toBe('open'); // pybreaker: the next call would be a trial
    expect(breaker.retryAfter).toBe(50 * S);
    clock.advance(50 * S);
    thrown(() => boom());
    expect(breaker.retryAfter).toBe(10 * S); // the next opening uses the new value
  });

  it('fail_max=0 trips on the first failure in pybreaker; 0 is refused here (documented: the smallest value is 1)', () => {
    expect(() => new CircuitBreaker({ registry: false, failureThreshold: 0 })).toThrow(RangeError);
  });

  it('test_initial_state: a breaker can start in the state a storage (a snapshot) holds, counters included', () => {
    const { breaker, clock, boom, thrown } = setup({ failureThreshold: 3, recoveryTimeout: 60 * S, name: 'stored' });
    for (let i = 0; i < 3; i++) thrown(() => boom());
    clock.advance(10 * S);
    const restored = restoreBreaker(breaker.toJSON(), { registry: false, failureThreshold: 3, recoveryTimeout: 60 * S, clock });
    expect(restored.name).toBe('stored');
    expect(restored.state).toBe('open');
    expect(restored.consecutiveFailures).toBe(3);
    expect(restored.retryAfter).toBe(50 * S); // what was left of its open time
  });

  it('test_call_with_args / test_call_with_kwargs: arguments and this reach the guarded function', async () => {
    const target = {
      prefix: '>',
      run: circuit(
        async function (this: { prefix: string }, a: number, options: { name: string }) {
          return `${this.prefix}${a}${options.name}`;
        },
        { registry: false },
      ),
    };
    expect(await target.run(42, { name: 'abc' })).toBe('>42abc');
  });

  it('test_decorator: the wrapper keeps the function name', () => {
    function getUser(): string {
      return 'user';
    }
    const guarded = circuit(getUser, { registry: false });
    expect(guarded.name).toBe('getUser');
  });
});

describe('pybreaker: concurrency', () => {
  it('test_fail_thread_safety: 3 x 500 concurrent failures are each counted', async () => {
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 10_000 });
    const worker = async () => {
      for (let i = 0; i < 500; i++) await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(breaker.consecutiveFailures).toBe(1500);
  });

  it('test_half_open_thread_safety: of 5 concurrent calls at the end of the open period, one runs as the trial', async () => {
    const clock = manualClock();
    const halfOpens: string[] = [];
    const breaker = new CircuitBreaker({ registry: false, clock, failureThreshold: 1, recoveryTimeout: 1 * S, onHalfOpen: () => halfOpens.push('half-open') });
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    clock.advance(1 * S);
    const gate = deferred();
    let ran = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        breaker.execute(async () => {
          ran += 1;
          await gate.promise;
        }),
      ).map((p, i) => {
        if (i === 4) gate.resolve(undefined);
        return p;
      }),
    );
    expect(ran).toBe(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof CircuitOpenError)).toHaveLength(4);
    expect(halfOpens).toEqual(['half-open']);
    expect(breaker.state).toBe('closed');
  });

  it('test_fail_max_thread_safety: concurrent failures never push the counter past fail_max', async () => {
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 3 });
    const gates = Array.from({ length: 10 }, () => deferred());
    const running = gates.map((g) => breaker.execute(() => g.promise).catch(() => undefined));
    gates.forEach((g) => g.reject(new Error('x')));
    await Promise.all(running);
    await flush();
    expect(breaker.state).toBe('open');
    expect(breaker.consecutiveFailures).toBe(3);
  });
});

describe('circuitbreaker (fabfuel): functional', () => {
  it('test_circuit_pass_through: a closed breaker returns the value unchanged', async () => {
    const guarded = circuit(async () => ({ answer: 42 }), { registry: false });
    expect(await guarded()).toEqual({ answer: 42 });
  });

  it('test_threshold_hit_prevents_consequent_calls: with threshold 1 the first failure re-raises the original, the next call is refused, and the function ran once', async () => {
    let ran = 0;
    const guarded = circuit(
      async () => {
        ran += 1;
        throw new IOError('io');
      },
      { registry: false, failureThreshold: 1 },
    );
    await expect(guarded()).rejects.toBeInstanceOf(IOError);
    expect(guarded.breaker.state).toBe('open');
    await expect(guarded()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(ran).toBe(1);
  });

  it('test_circuitbreaker_recover_half_open: counts 1, 2, 3 open; refusals keep the count; half-open on read after the timeout; a failed trial re-opens with count 4 and a fresh timer', () => {
    const { breaker, clock, boom, thrown } = setup({ failureThreshold: 3, recoveryTimeout: 1 * S });
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(1);
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(breaker.consecutiveFailures).toBe(2);
    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(breaker.state).toBe('open');
    expect(breaker.consecutiveFailures).toBe(3);
    expect(breaker.retryAfter).toBeGreaterThan(0);
    expect(breaker.retryAfter).toBeLessThanOrEqual(1 * S);

    expect(thrown(() => boom())).toBeInstanceOf(CircuitOpenError);
    expect(breaker.consecutiveFailures).toBe(3);

    clock.advance(1 * S);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfter).toBe(0); // fabfuel: open_remaining < 0

    expect(thrown(() => boom())).toBeInstanceOf(IOError);
    expect(breaker.state).toBe('open');
    expect(breaker.consecutiveFailures).toBe(4);
    expect(breaker.retryAfter).toBeGreaterThan(0);
    expect(breaker.retryAfter).toBeLessThanOrEqual(1 * S);
    expect(thrown(() => boom())).toBeInstanceOf(CircuitOpenError);
  });

  it('test_circuitbreaker_reopens_after_successful_calls: refused while open though the function would succeed; count 2 through half-open; one success closes it with count 0', () => {
    const { breaker, clock, ok, boom, thrown } = setup({ failureThreshold: 2, recoveryTimeout: 1 * S });
    thrown(() => boom());
    thrown(() => boom());
    expect(breaker.state).toBe('open');
    expect(thrown(() => ok())).toBeInstanceOf(CircuitOpenError);
    expect(breaker.consecutiveFailures).toBe(2);
    clock.advance(1 * S);
    expect(breaker.state).toBe('half-open');
    expect(breaker.consecutiveFailures).toBe(2);
    expect(ok()).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(ok()).toBe(true);
  });

  it('test_circuitbreaker_monitor: five breakers all closed; after one trips, 4 closed and 1 open', async () => {
    const registry = new CircuitRegistry();
    const guarded = Array.from({ length: 5 }, (_, i) =>
      circuit(
        async () => {
          throw new IOError('io');
        },
        { name: `circuit_${i}`, registry, failureThreshold: 1 },
      ),
    );
    expect(registry.allClosed()).toBe(true);
    expect(registry.all()).toHaveLength(5);
    expect(registry.closed()).toHaveLength(5);
    expect(registry.open()).toHaveLength(0);
    await guarded[0]!().catch(() => undefined);
    expect(registry.allClosed()).toBe(false);
    expect(registry.closed()).toHaveLength(4);
    expect(registry.open()).toHaveLength(1);
  });
});

describe('circuitbreaker (fabfuel): unit', () => {
  it('test_circuitbreaker__str__: the breaker is known by its name', () => {
    expect(new CircuitBreaker({ registry: false, name: 'Foobar' }).name).toBe('Foobar');
  });

  it('test_circuit_decorator_with_fallback: while open the fallback runs once with the original arguments, and the function does not', async () => {
    let ran = 0;
    const seen: unknown[][] = [];
    const guarded = circuit(
      async (a: number, b: string) => {
        ran += 1;
        throw new IOError(`${a}${b}`);
      },
      {
        registry: false,
        failureThreshold: 1,
        fallback: (error: unknown, a: number, b: string) => {
          seen.push([isCircuitOpenError(error), a, b]);
          return 'fallback';
        },
      },
    );
    guarded.breaker.open();
    expect(await guarded(42, 'abc')).toBe('fallback');
    expect(ran).toBe(0);
    expect(seen).toEqual([[true, 42, 'abc']]);
  });

  it('the fallback also serves a counted failure here (fabfuel: only while open; documented)', async () => {
    const guarded = circuit(
      async () => {
        throw new IOError('io');
      },
      { registry: false, fallback: () => 'fallback' },
    );
    expect(await guarded()).toBe('fallback');
    expect(guarded.breaker.consecutiveFailures).toBe(1);
  });

  it('test_call_*: a failure is stored as the last failure', () => {
    const { breaker, boom, thrown } = setup();
    const error = new IOError('last');
    thrown(() => boom(error));
    expect(breaker.lastFailure).toBe(error);
  });

  it('test_call_*_success: a success clears the last failure (fabfuel sets last_failure to None)', () => {
    // It failed before 0.2.0's fix: circuitry cleared it only when the circuit closed, so a
    // closed-state success left the old error in place.
    const { breaker, ok, boom, thrown } = setup();
    thrown(() => boom(new IOError('last')));
    ok();
    expect(breaker.lastFailure).toBeUndefined();
  });

  it('test_circuit_decorator_with_predicate / class / tuple: expectedError decides what is a failure', () => {
    class FooError extends Error {
      constructor(readonly value: number) {
        super(String(value));
      }
    }
    const isFailure = (expectedError: BreakerOptions['expectedError'], error: Error) => {
      const { breaker, boom, thrown } = setup({ expectedError });
      thrown(() => boom(error));
      return breaker.consecutiveFailures === 1;
    };
    // predicate
    const predicate = (error: unknown) => error instanceof FooError && error.value > 3;
    expect(isFailure(predicate, new FooError(4))).toBe(true);
    expect(isFailure(predicate, new FooError(2))).toBe(false);
    // a class matches itself and its subclasses only
    expect(isFailure(IOError, new IOError('x'))).toBe(true);
    expect(isFailure(Error, new IOError('x'))).toBe(true);
    expect(isFailure(IOError, new Error('x'))).toBe(false);
    // an array (a tuple) matches each member, not the base class
    expect(isFailure([IOError, DbError], new DbError('x'))).toBe(true);
    expect(isFailure([IOError, DbError], new Error('x'))).toBe(false);
    // the default counts every error
    expect(isFailure(undefined, new FooError(1))).toBe(true);
  });

  it('test_circuit_decorator_with_string_expected_exception: a string, or a class that is not an error, is refused when the breaker is made', () => {
    expect(() => new CircuitBreaker({ registry: false, expectedError: 'IOError' as never })).toThrow(TypeError);
    expect(() => new CircuitBreaker({ registry: false, expectedError: 42 as never })).toThrow(TypeError);
  });

  it('failure_threshold=0 falls back to 5 in fabfuel; refused here (documented)', () => {
    expect(() => new CircuitBreaker({ registry: false, failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ registry: false, recoveryTimeout: 0 })).toThrow(RangeError);
  });

  it('a non-matching error does not reset the count (fabfuel resets it, as a success; documented)', () => {
    const { breaker, boom, thrown } = setup({ expectedError: IOError });
    thrown(() => boom());
    thrown(() => boom(new DbError('other')));
    expect(breaker.consecutiveFailures).toBe(1);
  });

  it('half-open admits one trial at once by default (fabfuel admits every caller; documented)', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ registry: false, clock, failureThreshold: 1, recoveryTimeout: 1 * S });
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    clock.advance(1 * S);
    const gate = deferred();
    const first = breaker.execute(() => gate.promise);
    await expect(breaker.execute(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    gate.resolve(undefined);
    await first;
  });
});
