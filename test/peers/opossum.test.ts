/**
 * Behaviours opossum 10's own test suite checks (test/test.js, half-open-test.js, closed-test.js,
 * open-test.js, error-filter-test.js, enable-disable-test.js, state-test.js, volume-threshold-test.js),
 * restated against circuitry's public API. opossum's `errorThresholdPercentage: 1` (one failure opens)
 * becomes `failureThreshold: 1`; its `resetTimeout` becomes `recoveryTimeout`; its wall-clock waits become
 * an injected clock. Where circuitry documents a different behaviour (docs/migrating/from-opossum.md),
 * the test asserts circuitry's documented behaviour and says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
  TimeoutError,
  callSignal,
  circuit,
  isCircuitOpenError,
  restoreBreaker,
  timeWindow,
} from '../../src/index.js';
import type { BreakerOptions, CircuitEvents } from '../../src/index.js';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

/** opossum's `passFail`: resolves its argument, rejects with an Error for a negative one. */
async function passFail(x: number): Promise<number> {
  if (x < 0) throw new Error(`${x} is < 0`);
  return x;
}

class HttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`Failed with ${statusCode} status code`);
  }
}
/** opossum's `failWithCode`. */
async function failWithCode(code: number): Promise<never> {
  throw new HttpError(code);
}

/** A guarded passFail on a manual clock; one failure opens, as opossum's errorThresholdPercentage: 1. */
function setup(options: BreakerOptions = {}) {
  const clock = manualClock(0);
  const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 100, clock, registry: false, ...options });
  const calls: number[] = [];
  const guarded = circuit(async (x: number) => {
    calls.push(x);
    return passFail(x);
  }, breaker);
  return { clock, breaker, guarded, calls };
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

afterEach(() => {
  vi.useRealTimers();
});

describe('opossum test.js: the basics', () => {
  it('passes parameters to the circuit function and resolves its value', async () => {
    const guarded = circuit(passFail, { registry: false });
    await expect(guarded(34)).resolves.toBe(34);
  });

  it('has a name based on the function name, or the name option', () => {
    expect(circuit(passFail, { registry: false }).breaker.name).toBe('passFail');
    expect(circuit(passFail, { name: 'tacoMachine', registry: false }).breaker.name).toBe('tacoMachine');
  });

  it('an anonymous function still gets a non-empty name', () => {
    const name = circuit((x: number) => x, { registry: false }).breaker.name;
    expect(typeof name).toBe('string');
    expect(name.length).toBeGreaterThan(0);
  });

  it('fails with the function\'s own error, unchanged, when the function fails', async () => {
    const error = new Error('boom');
    const guarded = circuit(async () => {
      throw error;
    }, { registry: false });
    await expect(guarded()).rejects.toBe(error);
  });

  it('works with functions that do not return a promise', async () => {
    const guarded = circuit(() => 'foo', { registry: false });
    await expect(guarded()).resolves.toBe('foo');
  });

  it('a synchronous function returning undefined resolves undefined and counts as a success (opossum #893 counts a failure: documented difference)', async () => {
    const guarded = circuit((): undefined => undefined, { registry: false });
    await expect(guarded()).resolves.toBeUndefined();
    expect(guarded.breaker.stats()).toMatchObject({ successes: 1, failures: 0 });
  });

  it('a synchronous throw arrives as a rejection and counts as a failure ("emits failure when action throws")', async () => {
    const guarded = circuit(() => {
      throw new Error('E_TOOMANYCHICKENTACOS');
    }, { registry: false });
    const failures: CircuitEvents['failure'][] = [];
    guarded.breaker.on('failure', (e) => failures.push(e));
    const outcome = guarded();
    expect(outcome).toBeInstanceOf(Promise);
    await expect(outcome).rejects.toThrow('E_TOOMANYCHICKENTACOS');
    expect(guarded.breaker.stats().failures).toBe(1);
    expect(failures).toHaveLength(1);
    expect((failures[0]!.error as Error).message).toBe('E_TOOMANYCHICKENTACOS');
  });

  it('keeps `this` for the guarded function, as breaker.call(thisArg, ...) does', async () => {
    const guarded = circuit(async function (this: { base: number }, x: number) {
      return this.base + x;
    }, { registry: false });
    await expect(guarded.call({ base: 40 }, 2)).resolves.toBe(42);
  });
});

describe('opossum test.js: opening and resetting', () => {
  it('opens after the configured failures and then fails fast, even with a valid value, without calling the function', async () => {
    const { guarded, breaker, calls } = setup();
    await expect(guarded(-1)).rejects.toThrow('-1 is < 0');
    expect(breaker.state).toBe('open');
    const refused = await settle(guarded(100));
    expect('error' in refused && isCircuitOpenError(refused.error)).toBe(true);
    expect((refused as { error: CircuitOpenError }).error).toBeInstanceOf(CircuitOpenError);
    expect(calls).toEqual([-1]);
  });

  it('the refusal names the breaker, says when to retry, and carries the failure that opened it', async () => {
    const { guarded } = setup({ name: 'prices' });
    await guarded(-1).catch(() => undefined);
    const { error } = (await settle(guarded(1))) as { error: CircuitOpenError };
    expect(error.breakerName).toBe('prices');
    expect(error.retryAfter).toBe(100);
    expect(error.state).toBe('open');
    expect((error.cause as Error).message).toBe('-1 is < 0');
  });

  it('resets after resetTimeout: the next call runs and its success closes the circuit', async () => {
    const { guarded, breaker, clock } = setup();
    await guarded(-1).catch(() => undefined);
    clock.advance(125);
    await expect(guarded(100)).resolves.toBe(100);
    expect(breaker.state).toBe('closed');
  });

  it('stays open one millisecond before resetTimeout, and is half-open exactly at it', async () => {
    const { guarded, breaker, clock } = setup();
    await guarded(-1).catch(() => undefined);
    clock.advance(99);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(1);
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfter).toBe(0);
  });

  it('a circuit with a fallback resets after resetTimeout too', async () => {
    const { breaker, clock } = setup();
    const guarded = circuit(passFail, { breaker, fallback: (_e, x) => x * 2 });
    await expect(guarded(-1)).resolves.toBe(-2);
    expect(breaker.state).toBe('open');
    clock.advance(125);
    await expect(guarded(100)).resolves.toBe(100);
    expect(breaker.state).toBe('closed');
  });

  it('stats reflect the open state ("Breaker status reflects open state")', async () => {
    const { guarded, breaker } = setup();
    await guarded(-1).catch(() => undefined);
    expect(breaker.stats().state).toBe('open');
    expect(breaker.stats().retryAfter).toBe(100);
  });
});

describe('opossum test.js: fallbacks', () => {
  it('executes the fallback when the breaker is open, without calling the function', async () => {
    const { breaker, calls } = setup();
    const guarded = circuit(async (x: number) => {
      calls.push(x);
      return passFail(x);
    }, { breaker, fallback: () => 100 });
    await guarded(-1);
    await expect(guarded(5)).resolves.toBe(100);
    expect(calls).toEqual([-1]);
  });

  it('passes the error to the fallback, first (opossum passes it last: documented difference)', async () => {
    const seen: unknown[][] = [];
    const guarded = circuit(passFail, {
      registry: false,
      fallback: (error, x) => {
        seen.push([error, x]);
        return 0;
      },
    });
    await guarded(-1);
    expect(seen).toHaveLength(1);
    expect((seen[0]![0] as Error).message).toBe('-1 is < 0');
    expect(seen[0]![1]).toBe(-1);
  });

  it('passes the call\'s arguments to the fallback', async () => {
    const guarded = circuit(async (a: number, b: string) => {
      throw new Error(`${a}${b}`);
    }, { registry: false, fallback: (_error, a, b) => `${b}:${a}` });
    await expect(guarded(-1, 'x')).resolves.toBe('x:-1');
  });

  it('a successful call does not run the fallback ("Returns self from fallback()")', async () => {
    const fallback = vi.fn(() => 0);
    const guarded = circuit(passFail, { registry: false, fallback });
    await expect(guarded(1)).resolves.toBe(1);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('executes the fallback when the action throws, and counts one failure and one fallback', async () => {
    const guarded = circuit(() => {
      throw new Error('E_TOOMANYCHICKENTACOS');
    }, { registry: false, fallback: () => 'Fallback executed' });
    await expect(guarded()).resolves.toBe('Fallback executed');
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, fallbacks: 1 });
  });

  it('emits failure with the error when falling back, and the caller gets the fallback value', async () => {
    const guarded = circuit(passFail, { registry: false, fallback: () => 'fallback value' });
    const failures: unknown[] = [];
    guarded.breaker.on('failure', ({ error }) => failures.push(error));
    await expect(guarded(-1)).resolves.toBe('fallback value');
    expect(failures.map((e) => (e as Error).message)).toEqual(['-1 is < 0']);
  });

  it('emits a fallback event with the error the fallback got (opossum passes the fallback\'s result: documented difference)', async () => {
    const guarded = circuit(passFail, { registry: false, fallback: (_e, x) => x });
    const events: CircuitEvents['fallback'][] = [];
    guarded.breaker.on('fallback', (e) => events.push(e));
    await expect(guarded(-1)).resolves.toBe(-1);
    expect(events).toHaveLength(1);
    expect((events[0]!.error as Error).message).toBe('-1 is < 0');
  });

  it('a fallback returning a rejected promise rejects the caller with that error', async () => {
    const guarded = circuit(passFail, { registry: false, fallback: () => Promise.reject(new Error('nope')) });
    await expect(guarded(-1)).rejects.toThrow('nope');
  });

  it('a fallback that throws rejects the caller with that error, the original as its cause', async () => {
    const guarded = circuit(passFail, {
      registry: false,
      fallback: () => {
        throw new Error('nope');
      },
    });
    const { error } = (await settle(guarded(-1))) as { error: Error };
    expect(error.message).toBe('nope');
    expect((error.cause as Error).message).toBe('-1 is < 0');
  });

  it('a rejected promise from the fallback also carries the original failure as its cause', async () => {
    const guarded = circuit(passFail, { registry: false, fallback: () => Promise.reject(new Error('nope')) });
    const { error } = (await settle(guarded(-1))) as { error: Error };
    expect(error.message).toBe('nope');
    expect((error.cause as Error | undefined)?.message).toBe('-1 is < 0');
  });

  it('a fallback may be another guarded function: its value is returned', async () => {
    const backup = circuit((x: number) => x, { registry: false });
    const guarded = circuit(passFail, { registry: false, fallback: (_e, x) => backup(x) });
    await expect(guarded(-1)).resolves.toBe(-1);
  });

  it('a fallback that is a failing guarded function rejects the caller with its error', async () => {
    const backup = circuit(passFail, { registry: false, failureThreshold: 1 });
    const guarded = circuit(passFail, { registry: false, failureThreshold: 1, fallback: (_e, x) => backup(x) });
    const { error } = (await settle(guarded(-1))) as { error: Error };
    expect(error.message).toBe('-1 is < 0');
  });

  it('the fallback gets the call\'s `this` (opossum binds it to the fallback: documented difference)', async () => {
    const target = { id: 'me' };
    let seenThis: unknown;
    const guarded = circuit(async function (this: typeof target) {
      throw new Error('down');
    }, {
      registry: false,
      fallback: function (this: typeof target) {
        seenThis = this;
        return 'fb';
      },
    });
    await expect(guarded.call(target)).resolves.toBe('fb');
    expect(seenThis).toBe(target);
  });

  it('a fallback is not called twice when the action fails after timing out', async () => {
    vi.useFakeTimers({ now: 0 });
    const fallback = vi.fn((error: unknown) => Promise.reject(error));
    const guarded = circuit(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      throw new Error(`Failed after ${ms}`);
    }, { registry: false, timeout: 100, fallback });
    const outcome = settle(guarded(200));
    await vi.advanceTimersByTimeAsync(100);
    const { error } = (await outcome) as { error: Error };
    expect(error).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(200);
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(fallback.mock.calls[0]![0]).toBeInstanceOf(TimeoutError);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, timeouts: 1, fallbacks: 1 });
  });
});

describe('opossum test.js: timeouts', () => {
  it('fails with a TimeoutError when the function times out (opossum: ETIMEDOUT "Timed out after 10ms")', async () => {
    vi.useFakeTimers({ now: 0 });
    const guarded = circuit(function slowFunction() {
      return new Promise((resolve) => setTimeout(resolve, 10_000));
    }, { registry: false, timeout: 10 });
    const outcome = settle(guarded());
    await vi.advanceTimersByTimeAsync(10);
    const { error } = (await outcome) as { error: TimeoutError };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.name).toBe('TimeoutError');
    expect(error.timeout).toBe(10);
    expect(error.message).toContain('10 ms');
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, timeouts: 1 });
    vi.clearAllTimers();
  });

  it('a timed-out call emits failure with a TimeoutError and its latency ("timeout event emits latency")', async () => {
    vi.useFakeTimers({ now: 0 });
    const guarded = circuit(() => new Promise((resolve) => setTimeout(resolve, 10_000)), {
      registry: false,
      timeout: 10,
      clock: { now: () => Date.now() },
    });
    const failures: CircuitEvents['failure'][] = [];
    guarded.breaker.on('failure', (e) => failures.push(e));
    const outcome = settle(guarded());
    await vi.advanceTimersByTimeAsync(10);
    await outcome;
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(TimeoutError);
    expect(failures[0]!.duration).toBe(10);
    vi.clearAllTimers();
  });

  it('one call timing out aborts only its own signal, not every call in flight (opossum #780: documented difference)', async () => {
    vi.useFakeTimers({ now: 0 });
    const signals: AbortSignal[] = [];
    const guarded = circuit((ms: number) => {
      signals.push(callSignal());
      return new Promise((resolve) => setTimeout(resolve, ms, ms));
    }, { registry: false, timeout: 100 });
    const slow = settle(guarded(500));
    await vi.advanceTimersByTimeAsync(50);
    const fast = guarded(80); // started at 50 ms, due at 130 ms, its deadline at 150 ms
    await vi.advanceTimersByTimeAsync(50);
    const { error } = (await slow) as { error: unknown };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(30);
    await expect(fast).resolves.toBe(80);
    expect(signals[1]!.aborted).toBe(false);
    vi.clearAllTimers();
  });

  it('has no timeout unless one is set (opossum defaults to 10 s: documented difference)', async () => {
    vi.useFakeTimers({ now: 0 });
    const guarded = circuit((ms: number) => new Promise((resolve) => setTimeout(resolve, ms, 'late')), { registry: false });
    const outcome = guarded(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(outcome).resolves.toBe('late');
  });
});

describe('opossum: more on timeouts, late outcomes and odd values', () => {
  it('a call that times out and then resolves counts one failure and no success, and leaves the streak alone', async () => {
    vi.useFakeTimers({ now: 0 });
    const breaker = new CircuitBreaker({ failureThreshold: 2, registry: false });
    const guarded = circuit((ms: number) => new Promise((resolve) => setTimeout(resolve, ms, 'late')), { breaker, timeout: 10 });
    const outcome = settle(guarded(50));
    await vi.advanceTimersByTimeAsync(10);
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(40);
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 1, timeouts: 1 });
    expect(breaker.consecutiveFailures).toBe(1);
  });

  it('a half-open trial that times out re-opens the circuit', async () => {
    vi.useFakeTimers({ now: 0 });
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 100, registry: false });
    let slow = false;
    const guarded = circuit(async () => {
      if (slow) return new Promise((resolve) => setTimeout(resolve, 1000, 'late'));
      throw new Error('down');
    }, { breaker, timeout: 10 });
    await guarded().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    slow = true;
    expect(breaker.state).toBe('half-open');
    const trial = settle(guarded());
    await vi.advanceTimersByTimeAsync(10);
    expect(((await trial) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.state).toBe('half-open');
  });

  it('a rejection that is not an Error passes through unchanged and counts as a failure', async () => {
    const guarded = circuit(() => Promise.reject('Error: -1 is < 0'), { registry: false });
    await expect(guarded()).rejects.toBe('Error: -1 is < 0');
    expect(guarded.breaker.stats().failures).toBe(1);
  });

  it('a fallback that throws a non-Error gives the caller an Error wrapping it, the original as cause', async () => {
    const guarded = circuit(() => Promise.reject(new Error('orig')), {
      registry: false,
      fallback: () => {
        throw 'plain string';
      },
    });
    const { error } = (await settle(guarded())) as { error: Error };
    expect(error).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe('orig');
  });

  it('a fallback serves an isolated circuit too, with the CircuitIsolatedError', async () => {
    const seen: unknown[] = [];
    const guarded = circuit(async () => 1, {
      registry: false,
      fallback: (error) => {
        seen.push(error);
        return 2;
      },
    });
    guarded.breaker.isolate();
    await expect(guarded()).resolves.toBe(2);
    expect(isCircuitOpenError(seen[0])).toBe(true);
    expect((seen[0] as CircuitOpenError).state).toBe('isolated');
  });

  it('while disabled a failed call still gets the fallback (opossum skips it: documented difference)', async () => {
    const guarded = circuit(passFail, { registry: false, fallback: () => 'fb' });
    guarded.breaker.disable();
    await expect(guarded(-1)).resolves.toBe('fb');
  });

  it('a refused half-open caller is told when the trial\'s slot lapses', async () => {
    const { breaker, clock } = setup({ recoveryTimeout: 1000 });
    const gate = deferred<number>();
    let first = true;
    const guarded = circuit(async () => {
      if (first) {
        first = false;
        throw new Error('down');
      }
      return gate.promise;
    }, breaker);
    await guarded().catch(() => undefined);
    clock.advance(1000);
    void guarded();
    clock.advance(300);
    const error = (await settle(guarded())) as { error: CircuitOpenError };
    expect(error.error.state).toBe('half-open');
    expect(error.error.retryAfter).toBe(700);
    gate.resolve(1);
  });

  it('reset() while a trial runs: the trial\'s late failure does not re-open the circuit', async () => {
    const { breaker, clock } = setup();
    const gate = deferred<number>();
    let first = true;
    const guarded = circuit(async () => {
      if (first) {
        first = false;
        throw new Error('down');
      }
      return gate.promise;
    }, breaker);
    await guarded().catch(() => undefined);
    clock.advance(100);
    const trial = settle(guarded());
    breaker.reset();
    expect(breaker.state).toBe('closed');
    gate.reject(new Error('late'));
    await trial;
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
  });
});

describe('opossum test.js: status counts and events', () => {
  it('counts successes, a failure, then a rejection served by the fallback ("CircuitBreaker status")', async () => {
    const { breaker, guarded: plain } = setup();
    let useFallback = false;
    const guarded = circuit(passFail, {
      breaker,
      fallback: (error) => {
        if (!useFallback) throw error;
        return 'Fallback called';
      },
    });
    expect(await Promise.all([guarded(10), guarded(20), guarded(30)])).toEqual([10, 20, 30]);
    expect(breaker.stats().successes).toBe(3);
    const { error } = (await settle(guarded(-10))) as { error: Error };
    expect(error.message).toBe('-10 is < 0');
    expect(breaker.stats()).toMatchObject({ failures: 1, successes: 3 });
    useFallback = true;
    await expect(guarded(-20)).resolves.toBe('Fallback called');
    expect(breaker.stats()).toMatchObject({ successes: 3, failures: 1, rejections: 1, fallbacks: 2 });
    void plain;
  });

  it('counts exactly one fallback when only the refused call uses one', async () => {
    const { breaker } = setup();
    const bare = circuit(passFail, breaker);
    const withFallback = circuit(passFail, { breaker, fallback: () => 'Fallback called' });
    await bare(-10).catch(() => undefined);
    await expect(withFallback(-20)).resolves.toBe('Fallback called');
    expect(breaker.stats()).toMatchObject({ failures: 1, rejections: 1, fallbacks: 1 });
  });

  it('emits success, failure, rejected, open, halfOpen and close through a whole cycle ("CircuitBreaker events")', async () => {
    const { guarded, breaker, clock } = setup({ recoveryTimeout: 500 });
    const counts: Record<string, number> = { success: 0, failure: 0, rejected: 0, open: 0, halfOpen: 0, close: 0 };
    for (const event of Object.keys(counts) as (keyof CircuitEvents)[]) breaker.on(event, () => counts[event]!++);

    await guarded(10);
    expect(counts).toEqual({ success: 1, failure: 0, rejected: 0, open: 0, halfOpen: 0, close: 0 });
    await guarded(-1).catch(() => undefined);
    expect(counts).toEqual({ success: 1, failure: 1, rejected: 0, open: 1, halfOpen: 0, close: 0 });
    await guarded(10).catch(() => undefined);
    expect(counts).toEqual({ success: 1, failure: 1, rejected: 1, open: 1, halfOpen: 0, close: 0 });
    clock.advance(500);
    expect(breaker.state).toBe('half-open'); // circuitry has no timer: the read works it out, and changes nothing
    expect(counts).toEqual({ success: 1, failure: 1, rejected: 1, open: 1, halfOpen: 0, close: 0 });
    await guarded(10);
    expect(counts).toEqual({ success: 2, failure: 1, rejected: 1, open: 1, halfOpen: 1, close: 1 });
  });

  it('emits halfOpen when the next call arrives after resetTimeout, even if nobody read the state', async () => {
    const { guarded, breaker, clock } = setup();
    const seen: string[] = [];
    breaker.on('stateChange', ({ from, to }) => seen.push(`${from}->${to}`));
    await guarded(-1).catch(() => undefined);
    clock.advance(100);
    await guarded(1);
    expect(seen).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('orders failure before open for the call that trips the circuit', async () => {
    const { guarded, breaker } = setup();
    const seen: string[] = [];
    for (const event of ['failure', 'open', 'stateChange', 'fallback', 'rejected'] as const) breaker.on(event, () => seen.push(event));
    await guarded(-1).catch(() => undefined);
    await guarded(1).catch(() => undefined);
    expect(seen).toEqual(['failure', 'open', 'stateChange', 'rejected']);
  });

  it('orders a trial\'s events as halfOpen when admitted, then success, then close (opossum closes first, then emits success: undocumented difference)', async () => {
    const { guarded, breaker, clock } = setup();
    await guarded(-1).catch(() => undefined);
    const seen: string[] = [];
    for (const event of ['success', 'close', 'halfOpen'] as const) breaker.on(event, () => seen.push(event));
    clock.advance(100);
    await guarded(1);
    expect(seen).toEqual(['halfOpen', 'success', 'close']);
  });

  it('serves a refused call: rejected, then fallback', async () => {
    const { breaker } = setup();
    const guarded = circuit(passFail, { breaker, fallback: () => 0 });
    await guarded(-1);
    const seen: string[] = [];
    for (const event of ['rejected', 'fallback'] as const) breaker.on(event, () => seen.push(event));
    await guarded(1);
    expect(seen).toEqual(['rejected', 'fallback']);
  });

  it('every call lands in exactly one of successes, failures, rejections and ignored (opossum\'s fires)', async () => {
    const { breaker, clock } = setup({ failureThreshold: 2, expectedError: (e) => !(e instanceof HttpError) });
    const guarded = circuit(async (x: number) => (x === 404 ? failWithCode(404) : passFail(x)), breaker);
    for (const x of [1, 404, -1, 2, -1, -1, 3, 4]) await guarded(x).catch(() => undefined);
    clock.advance(100);
    await guarded(5);
    const s = breaker.stats();
    expect(s).toMatchObject({ successes: 3, failures: 3, rejections: 2, ignored: 1 });
    expect(s.successes + s.failures + s.rejections + s.ignored).toBe(9);
  });

  it('the success event carries the latency of the call', async () => {
    const clock = manualClock(0);
    const guarded = circuit(async (x: number) => {
      clock.advance(7);
      return x;
    }, { registry: false, clock });
    const durations: number[] = [];
    guarded.breaker.on('success', ({ duration }) => durations.push(duration));
    await guarded(1);
    expect(durations).toEqual([7]);
  });

  it('the failure event carries the error and the latency of the call', async () => {
    const clock = manualClock(0);
    const guarded = circuit(async (x: number) => {
      clock.advance(9);
      return passFail(x);
    }, { registry: false, clock });
    const failures: CircuitEvents['failure'][] = [];
    guarded.breaker.on('failure', (e) => failures.push(e));
    await guarded(-1).catch(() => undefined);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.duration).toBe(9);
    expect((failures[0]!.error as Error).message).toBe('-1 is < 0');
  });

  it('emits open exactly once when concurrent failures trip it together', async () => {
    const { breaker } = setup({ failureThreshold: 2 });
    const gates = [deferred(), deferred(), deferred()];
    let i = 0;
    const guarded = circuit(() => gates[i++]!.promise, breaker);
    const opens: unknown[] = [];
    breaker.on('open', (e) => opens.push(e));
    const calls = [guarded(), guarded(), guarded()].map((p) => p.catch(() => undefined));
    for (const g of gates) g.reject(new Error('x'));
    await Promise.all(calls);
    expect(opens).toHaveLength(1);
    expect(breaker.state).toBe('open');
  });
});

describe('opossum half-open-test.js', () => {
  it('when half-open, the circuit only allows one request through; its failure re-opens it', async () => {
    const { breaker, clock } = setup();
    const gate = deferred<number>();
    let calls = 0;
    const guarded = circuit(async (x: number) => {
      calls++;
      if (x === 500) return gate.promise;
      throw new Error(`Failed after ${x}`);
    }, breaker);
    await guarded(1).catch(() => undefined);
    expect(breaker.state).toBe('open');
    clock.advance(150);
    expect(breaker.state).toBe('half-open');
    const trial = settle(guarded(500));
    const second = await settle(guarded(1));
    expect('error' in second && isCircuitOpenError(second.error)).toBe(true);
    expect((second as { error: CircuitOpenError }).error.state).toBe('half-open');
    gate.reject(new Error('Failed after 500'));
    expect(((await trial) as { error: Error }).error.message).toBe('Failed after 500');
    expect(breaker.state).toBe('open');
    const third = await settle(guarded(1));
    expect('error' in third && isCircuitOpenError(third.error)).toBe(true);
    expect(calls).toBe(2);
  });

  it('a failed trial restarts the reset timeout, and a later trial that passes closes the circuit ("circuit halfOpen")', async () => {
    const { guarded, breaker, clock } = setup();
    await guarded(-1).catch(() => undefined);
    clock.advance(130);
    expect(breaker.state).toBe('half-open');
    await guarded(-1).catch(() => undefined);
    expect(breaker.state).toBe('open');
    clock.advance(99);
    expect(breaker.state).toBe('open');
    clock.advance(31);
    expect(breaker.state).toBe('half-open');
    await expect(guarded(1)).resolves.toBe(1);
    expect(breaker.state).toBe('closed');
  });

  it('when half-open, an error the filter forgives frees the trial slot and leaves it half-open (opossum closes it: documented difference)', async () => {
    const clock = manualClock(0);
    const guarded = circuit(failWithCode, {
      registry: false,
      clock,
      failureThreshold: 1,
      recoveryTimeout: 100,
      expectedError: (e) => !(e instanceof HttpError && e.statusCode < 500),
    });
    await expect(guarded(500)).rejects.toThrow('Failed with 500 status code');
    expect(guarded.breaker.state).toBe('open');
    clock.advance(150);
    expect(guarded.breaker.state).toBe('half-open');
    await expect(guarded(400)).rejects.toThrow('Failed with 400 status code');
    expect(guarded.breaker.state).toBe('half-open');
    // The slot is free again: the next call runs as a trial instead of being refused.
    await expect(guarded(503)).rejects.toThrow('Failed with 503 status code');
    expect(guarded.breaker.state).toBe('open');
  });

  it('a trial that never settles does not wedge half-open: its slot lapses after resetTimeout (opossum wedges: documented difference)', async () => {
    const { breaker, clock } = setup();
    let call = 0;
    const guarded = circuit(async () => {
      call++;
      if (call === 1) throw new Error('down');
      if (call === 2) return new Promise<number>(() => undefined);
      return 7;
    }, breaker);
    await guarded().catch(() => undefined);
    clock.advance(100);
    void guarded();
    await flush();
    expect(isCircuitOpenError((await settle(guarded()) as { error: unknown }).error)).toBe(true);
    clock.advance(100);
    await expect(guarded()).resolves.toBe(7);
    expect(breaker.state).toBe('closed');
  });
});

describe('opossum closed-test.js and open-test.js', () => {
  it('when open, an existing request resolving does not close the circuit', async () => {
    const { breaker } = setup({ recoveryTimeout: 60_000 });
    const slow = deferred<string>();
    const guarded = circuit(async (shouldPass: boolean) => {
      if (shouldPass) return slow.promise;
      throw new Error('test-error');
    }, breaker);
    const first = guarded(true);
    await expect(guarded(false)).rejects.toThrow('test-error');
    expect(breaker.state).toBe('open');
    slow.resolve('success');
    await expect(first).resolves.toBe('success');
    expect(breaker.state).toBe('open');
  });

  it('open() forces the circuit open; it then recovers after recoveryTimeout as usual (opossum\'s open() holds it open: documented difference)', async () => {
    const { breaker, clock } = setup();
    breaker.open();
    expect(breaker.state).toBe('open');
    clock.advance(150);
    expect(breaker.state).toBe('half-open');
  });

  it('open() on an open circuit restarts its open period', async () => {
    const { guarded, breaker, clock } = setup();
    await guarded(-1).catch(() => undefined);
    clock.advance(60);
    breaker.open();
    clock.advance(60);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfter).toBe(40);
  });

  it('close() closes an open circuit at once and calls run again', async () => {
    const { guarded, breaker } = setup();
    await guarded(-1).catch(() => undefined);
    breaker.close();
    expect(breaker.state).toBe('closed');
    await expect(guarded(3)).resolves.toBe(3);
  });
});

describe('opossum error-filter-test.js (errorFilter becomes expectedError, the inverse)', () => {
  const forgive404 = { expectedError: (e: unknown) => !(e instanceof HttpError && e.statusCode < 500) };

  it('bypasses failure stats for a forgiven error: the caller gets it, the circuit stays closed (counted as ignored, not as a success: documented difference)', async () => {
    const guarded = circuit(failWithCode, { registry: false, failureThreshold: 1, ...forgive404 });
    const { error } = (await settle(guarded(400))) as { error: HttpError };
    expect(error.statusCode).toBe(400);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 0, successes: 0, ignored: 1 });
    expect(guarded.breaker.state).toBe('closed');
  });

  it('increments failure stats and opens when the filter does not forgive the error', async () => {
    const guarded = circuit(failWithCode, { registry: false, failureThreshold: 1, ...forgive404 });
    const { error } = (await settle(guarded(500))) as { error: HttpError };
    expect(error.statusCode).toBe(500);
    expect(guarded.breaker.stats().failures).toBe(1);
    expect(guarded.breaker.state).toBe('open');
  });

  it('increments failure stats and opens when no filter is given', async () => {
    const guarded = circuit(failWithCode, { registry: false, failureThreshold: 1 });
    await guarded(500).catch(() => undefined);
    expect(guarded.breaker.stats().failures).toBe(1);
    expect(guarded.breaker.state).toBe('open');
  });

  it('does not call the fallback for a forgiven error', async () => {
    const fallback = vi.fn(() => 'fb');
    const guarded = circuit(failWithCode, { registry: false, failureThreshold: 1, fallback, ...forgive404 });
    const { error } = (await settle(guarded(400))) as { error: HttpError };
    expect(error.statusCode).toBe(400);
    expect(fallback).not.toHaveBeenCalled();
    expect(guarded.breaker.stats()).toMatchObject({ failures: 0, fallbacks: 0 });
    expect(guarded.breaker.state).toBe('closed');
  });

  it('a forgiven error leaves the failure streak unchanged (neither resets it nor adds to it)', async () => {
    const guarded = circuit(failWithCode, { registry: false, failureThreshold: 2, ...forgive404 });
    await guarded(500).catch(() => undefined);
    await guarded(404).catch(() => undefined);
    expect(guarded.breaker.consecutiveFailures).toBe(1);
    await guarded(500).catch(() => undefined);
    expect(guarded.breaker.state).toBe('open');
  });
});

describe('opossum enable-disable-test.js', () => {
  it('when disabled the circuit never opens; after enable() a failure opens it again', async () => {
    const { guarded, breaker } = setup({ recoveryTimeout: 1000 });
    breaker.disable();
    expect(breaker.state).toBe('disabled');
    await expect(guarded(-1)).rejects.toThrow('-1 is < 0');
    await expect(guarded(-1)).rejects.toThrow('-1 is < 0');
    expect(breaker.state).toBe('disabled');
    breaker.enable();
    expect(breaker.state).toBe('closed');
    await expect(guarded(-1)).rejects.toThrow('-1 is < 0');
    expect(breaker.state).toBe('open');
  });

  it('disabling an open circuit lets calls through at once', async () => {
    const { guarded, breaker } = setup();
    await guarded(-1).catch(() => undefined);
    breaker.disable();
    await expect(guarded(4)).resolves.toBe(4);
  });
});

describe('opossum state-test.js (toJSON and restore)', () => {
  it('exports the state of a fresh breaker: closed, with its name', () => {
    const guarded = circuit(passFail, { registry: false });
    const snapshot = guarded.breaker.toJSON();
    expect(snapshot).toMatchObject({ version: 2, name: 'passFail', state: 'closed', consecutiveFailures: 0 });
    expect(JSON.parse(JSON.stringify(guarded.breaker))).toEqual(snapshot);
  });

  it('a breaker restored as closed opens on the next failure', async () => {
    const clock = manualClock(0);
    const snapshot = circuit(passFail, { registry: false }).breaker.toJSON();
    const breaker = restoreBreaker(snapshot, { failureThreshold: 1, clock, registry: false });
    expect(breaker.state).toBe('closed');
    const guarded = circuit(passFail, breaker);
    await guarded(-1).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('a breaker restored as open resets after resetTimeout', async () => {
    const clock = manualClock(1_000);
    const { guarded: source } = setup({ clock, recoveryTimeout: 100 });
    await source(-1).catch(() => undefined);
    const restored = restoreBreaker(JSON.parse(JSON.stringify(source.breaker)), { clock, recoveryTimeout: 100, registry: false });
    expect(restored.state).toBe('open');
    clock.advance(125);
    const guarded = circuit(passFail, restored);
    await expect(guarded(100)).resolves.toBe(100);
    expect(restored.state).toBe('closed');
  });

  it('enters half-open at once when more than resetTimeout has passed since it opened', async () => {
    const clock = manualClock(1_000);
    const { guarded: source } = setup({ clock, recoveryTimeout: 100 });
    await source(-1).catch(() => undefined);
    const snapshot = source.breaker.toJSON();
    clock.advance(125);
    const restored = restoreBreaker(snapshot, { clock, recoveryTimeout: 100, registry: false });
    expect(restored.state).toBe('half-open');
    await expect(circuit(passFail, restored)(100)).resolves.toBe(100);
    expect(restored.state).toBe('closed');
  });

  it('a breaker restored as half-open allows only one request through, and its failure re-opens it', async () => {
    const clock = manualClock(1_000);
    const { guarded: source, breaker: sourceBreaker } = setup({ clock, recoveryTimeout: 100 });
    await source(-1).catch(() => undefined);
    clock.advance(100);
    expect(sourceBreaker.state).toBe('half-open');
    const restored = restoreBreaker(sourceBreaker.toJSON(), { clock, recoveryTimeout: 100, failureThreshold: 1, registry: false });
    expect(restored.state).toBe('half-open');
    const gate = deferred<number>();
    const guarded = circuit((x: number) => (x === 500 ? gate.promise : passFail(x)), restored);
    const trial = settle(guarded(500));
    expect(isCircuitOpenError(((await settle(guarded(1))) as { error: unknown }).error)).toBe(true);
    gate.reject(new Error('Failed after 500'));
    await trial;
    expect(restored.state).toBe('open');
    expect(isCircuitOpenError(((await settle(guarded(1))) as { error: unknown }).error)).toBe(true);
  });

  it('a restored breaker keeps the consecutive failure count (cumulative stats start again: a snapshot holds state, not counts)', async () => {
    const { guarded, breaker } = setup({ failureThreshold: 3 });
    await guarded(1);
    await guarded(-1).catch(() => undefined);
    await guarded(-1).catch(() => undefined);
    const restored = restoreBreaker(breaker.toJSON(), { failureThreshold: 3, registry: false });
    expect(restored.consecutiveFailures).toBe(2);
    expect(restored.stats()).toMatchObject({ successes: 0, failures: 0, consecutiveFailures: 2 });
  });

  it('a restored disabled breaker stays disabled', () => {
    const { breaker } = setup();
    breaker.disable();
    const restored = restoreBreaker(breaker.toJSON(), { registry: false });
    expect(restored.state).toBe('disabled');
  });
});

describe('opossum volume-threshold and errorThresholdPercentage (timeWindow)', () => {
  it('does not open before minimumCalls calls, however many fail (volumeThreshold)', async () => {
    const clock = manualClock(0);
    const guarded = circuit(passFail, {
      registry: false,
      clock,
      policy: timeWindow({ duration: 10_000, failureRate: 0.5, minimumCalls: 3 }),
    });
    await guarded(-1).catch(() => undefined);
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('closed');
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('open');
  });

  it('opens at exactly the failure rate (opossum opens only above errorThresholdPercentage: documented difference)', async () => {
    const clock = manualClock(0);
    const guarded = circuit(passFail, {
      registry: false,
      clock,
      policy: timeWindow({ duration: 10_000, failureRate: 0.5, minimumCalls: 4 }),
    });
    await guarded(1);
    await guarded(1);
    await guarded(-1).catch(() => undefined);
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('open');
  });

  it('failures older than the rolling window no longer count', async () => {
    const clock = manualClock(0);
    const guarded = circuit(passFail, {
      registry: false,
      clock,
      policy: timeWindow({ duration: 1_000, buckets: 10, failureRate: 0.5, minimumCalls: 3 }),
    });
    await guarded(-1).catch(() => undefined);
    await guarded(-1).catch(() => undefined);
    clock.advance(1_000);
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('closed');
    expect(guarded.breaker.stats().window).toMatchObject({ calls: 1, failures: 1 });
  });

  it('a closed circuit starts with an empty window (opossum keeps old buckets: documented difference)', async () => {
    const clock = manualClock(0);
    const guarded = circuit(passFail, {
      registry: false,
      clock,
      recoveryTimeout: 100,
      policy: timeWindow({ duration: 10_000, failureRate: 0.5, minimumCalls: 2 }),
    });
    await guarded(-1).catch(() => undefined);
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('open');
    clock.advance(100);
    await guarded(1);
    expect(guarded.breaker.state).toBe('closed');
    await guarded(-1).catch(() => undefined);
    expect(guarded.breaker.state).toBe('closed');
  });
});

describe('opossum verified bugs, checked the other way', () => {
  it('does not write defaults into the options object, so two breakers made from it share nothing', async () => {
    const options = { failureThreshold: 1, registry: false as const };
    const frozen = JSON.stringify(options);
    const a = circuit(passFail, options);
    const b = circuit(passFail, options);
    expect(JSON.stringify(options)).toBe(frozen);
    await a(-1).catch(() => undefined);
    expect(a.breaker.state).toBe('open');
    expect(b.breaker.state).toBe('closed');
    await expect(b(1)).resolves.toBe(1);
  });

  it('rejects options it cannot use instead of quietly using a default', () => {
    expect(() => circuit(passFail, { failureThreshold: 0 })).toThrow(RangeError);
    expect(() => circuit(passFail, { failureThreshold: 1.5 })).toThrow(RangeError);
    expect(() => circuit(passFail, { recoveryTimeout: -1 })).toThrow(RangeError);
    expect(() => circuit(passFail, { timeout: 0 })).toThrow(RangeError);
  });
});
