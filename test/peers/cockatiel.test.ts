/**
 * Behaviours cockatiel 4's own tests check (src/CircuitBreakerPolicy.test.ts, RetryPolicy.test.ts,
 * TimeoutPolicy.test.ts, breaker/ConsecutiveBreaker.test.ts, CountBreaker.test.ts,
 * SamplingBreaker.test.ts), restated against circuitry's public API. cockatiel's fixture,
 * `handleType(MyException).circuitBreaker(1000, new ConsecutiveBreaker(2))`, becomes
 * `{ expectedError: MyException, failureThreshold: 2, recoveryTimeout: 1000 }` on an injected clock.
 * Where circuitry documents a different behaviour (docs/migrating/from-cockatiel.md), the test asserts
 * circuitry's documented behaviour and says so.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CircuitBreaker,
  CircuitIsolatedError,
  CircuitOpenError,
  TimeoutError,
  breakerOf,
  callSignal,
  circuit,
  countWindow,
  exponentialBackoff,
  isCircuitOpenError,
  pipe,
  restoreBreaker,
  retry,
  timeWindow,
  timeout,
} from '../../src/index.js';
import type { BreakerOptions, CircuitEvents, RetryInfo } from '../../src/index.js';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

class MyException extends Error {}
class MyErrorA extends Error {
  constructor() {
    super('Error A');
  }
}
class MyErrorB extends Error {
  constructor() {
    super('Error B');
  }
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
const refusal = async (p: Promise<unknown>) => ((await settle(p)) as { error: unknown }).error;

/** cockatiel's CircuitBreakerPolicy.test.ts fixture, with its onBreak/onReset/onHalfOpen stubs. */
function fixture(options: BreakerOptions = {}) {
  const clock = manualClock(0);
  const breaker = new CircuitBreaker({
    expectedError: MyException,
    failureThreshold: 2,
    recoveryTimeout: 1000,
    clock,
    registry: false,
    ...options,
  });
  const events = { open: [] as CircuitEvents['open'][], close: 0, halfOpen: 0, states: [] as string[] };
  breaker.on('open', (e) => events.open.push(e));
  breaker.on('close', () => events.close++);
  breaker.on('halfOpen', () => events.halfOpen++);
  breaker.on('stateChange', ({ to }) => events.states.push(to));
  const execute = <R>(fn: () => R | Promise<R>) => breaker.execute(fn);
  const openBreaker = async () => {
    const fail = () => {
      throw new MyException();
    };
    await expect(execute(fail)).rejects.toBeInstanceOf(MyException);
    await expect(execute(fail)).rejects.toBeInstanceOf(MyException);
  };
  return { clock, breaker, events, execute, openBreaker };
}

describe('cockatiel CircuitBreakerPolicy.test.ts', () => {
  it('allows calls when closed', async () => {
    const { execute } = fixture();
    expect(await execute(() => 42)).toBe(42);
  });

  it('opens after failing calls, then fails fast without calling the function', async () => {
    const { execute, breaker, events } = fixture();
    const s = vi.fn(() => {
      throw new MyException();
    });
    await expect(execute(s)).rejects.toBeInstanceOf(MyException);
    expect(breaker.state).toBe('closed');
    expect(events.open).toHaveLength(0);

    await expect(execute(s)).rejects.toBeInstanceOf(MyException);
    expect(breaker.state).toBe('open');
    expect(events.open).toHaveLength(1);

    await expect(execute(s)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('open');
    expect(breaker.lastFailure).toBeInstanceOf(MyException);
    expect(events.open).toHaveLength(1);
    expect(s).toHaveBeenCalledTimes(2);
  });

  it('the open event carries the failure that opened it (cockatiel: onBreak({ error }))', async () => {
    const { openBreaker, events, breaker } = fixture();
    await openBreaker();
    expect(events.open[0]!.from).toBe('closed');
    expect(events.open[0]!.cause).toBeInstanceOf(MyException);
    expect(events.open[0]!.cause).toBe(breaker.lastFailure);
  });

  it('closes if the half-open test succeeds; the state reads half-open while the trial runs', async () => {
    const { execute, breaker, events, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(1000);
    const gate = deferred<number>();
    const result = execute(() => gate.promise);
    expect(breaker.state).toBe('half-open');
    expect(events.halfOpen).toBe(1);
    gate.resolve(42);
    expect(await result).toBe(42);
    expect(breaker.state).toBe('closed');
    expect(events.close).toBe(1);
  });

  it('a call beyond the trial slot is refused at once, not queued behind the trial (cockatiel dedupes and runs it later: documented difference)', async () => {
    const { execute, breaker, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(1000);
    const gate = deferred<number>();
    const a = execute(() => gate.promise);
    const b = vi.fn(async () => 2);
    const refused = await refusal(execute(b));
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).state).toBe('half-open');
    expect(b).not.toHaveBeenCalled();
    gate.resolve(1);
    await expect(a).resolves.toBe(1);
    expect(breaker.state).toBe('closed');
    await expect(execute(b)).resolves.toBe(2);
  });

  it('stops other half-open callers if the circuit reopens', async () => {
    const { execute, breaker, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(1000);
    const gate = deferred<number>();
    const a = settle(execute(() => gate.promise));
    const b = vi.fn(async () => {
      throw new Error('expected to not be called');
    });
    const first = refusal(execute(b));
    gate.reject(new MyException());
    expect(((await a) as { error: unknown }).error).toBeInstanceOf(MyException);
    expect(await first).toBeInstanceOf(CircuitOpenError);
    expect(await refusal(execute(b))).toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('open');
    expect(b).not.toHaveBeenCalled();
  });

  it('re-opens if the half-open test fails', async () => {
    const { execute, breaker, clock, openBreaker, events } = fixture();
    await openBreaker();
    clock.advance(1000);
    await expect(execute(() => {
      throw new MyException();
    })).rejects.toBeInstanceOf(MyException);
    expect(breaker.state).toBe('open');
    expect(events.open).toHaveLength(2);
    expect(events.open[1]!.from).toBe('half-open');
  });

  it('handles isolation: holds add up; calls get an isolated error; the last release turns it half-open (cockatiel closes: documented difference)', async () => {
    const { execute, breaker, events } = fixture();
    const release1 = breaker.isolate();
    expect(events.states).toEqual(['isolated']);
    const release2 = breaker.isolate();
    expect(events.states).toEqual(['isolated']);
    expect(breaker.state).toBe('isolated');

    const error = await refusal(execute(() => 42));
    expect(error).toBeInstanceOf(CircuitIsolatedError);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitIsolatedError).retryAfter).toBe(Infinity);
    expect((error as CircuitIsolatedError).state).toBe('isolated');

    release1();
    expect(breaker.state).toBe('isolated');
    expect(events.close).toBe(0);

    release2();
    expect(breaker.state).toBe('half-open');
    expect(await execute(() => 42)).toBe(42);
    expect(breaker.state).toBe('closed');
    expect(events.close).toBe(1);
  });

  it('releasing the same hold twice does not release another hold', async () => {
    const { breaker } = fixture();
    const release1 = breaker.isolate();
    breaker.isolate();
    release1();
    release1();
    expect(breaker.state).toBe('isolated');
  });

  it('isolation does not emit open (cockatiel emits onBreak({ isolated: true }): documented difference)', () => {
    const { breaker, events } = fixture();
    breaker.isolate();
    expect(events.open).toHaveLength(0);
    expect(events.states).toEqual(['isolated']);
  });

  it('an isolated circuit runs no trial however long it is held', async () => {
    const { breaker, clock, execute } = fixture();
    breaker.isolate();
    clock.advance(1_000_000);
    expect(breaker.state).toBe('isolated');
    expect(await refusal(execute(() => 1))).toBeInstanceOf(CircuitIsolatedError);
  });

  it('an unhandled error passes through and counts neither way while closed', async () => {
    const { execute, breaker } = fixture();
    await expect(execute(() => {
      throw new MyException();
    })).rejects.toBeInstanceOf(MyException);
    const other = new Error('not handled');
    await expect(execute(() => {
      throw other;
    })).rejects.toBe(other);
    expect(breaker.consecutiveFailures).toBe(1);
    await expect(execute(() => {
      throw new MyException();
    })).rejects.toBeInstanceOf(MyException);
    expect(breaker.state).toBe('open');
  });

  it('an unhandled error during half-open frees the slot and leaves it half-open (cockatiel counts it a success and closes: documented difference)', async () => {
    const { execute, breaker, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(1000);
    await expect(execute(() => {
      throw new Error('unhandled');
    })).rejects.toThrow('unhandled');
    expect(breaker.state).toBe('half-open');
    await expect(execute(() => 5)).resolves.toBe(5);
    expect(breaker.state).toBe('closed');
  });

  it('the state reads half-open after halfOpenAfter, before any call, but turns half-open only when a call arrives (cockatiel still reads Open: documented difference)', async () => {
    const { breaker, clock, openBreaker, events, execute } = fixture();
    await openBreaker();
    clock.advance(999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(events.halfOpen).toBe(0);
    await execute(() => 1);
    expect(events.halfOpen).toBe(1);
  });

  it('lastFailure is forgotten once the circuit closes (cockatiel keeps the last reason: undocumented difference)', async () => {
    const { execute, breaker, clock, openBreaker } = fixture();
    await openBreaker();
    expect(breaker.lastFailure).toBeInstanceOf(MyException);
    clock.advance(1000);
    await execute(() => 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.lastFailure).toBeUndefined();
  });

  it('a handled result counts as a failure but is still returned (handleWhenResult → isFailure)', async () => {
    const clock = manualClock(0);
    const fallback = vi.fn(() => 'fb');
    const guarded = circuit(async (v: string) => v, {
      isFailure: (r) => r === 'bad',
      failureThreshold: 2,
      clock,
      registry: false,
      fallback,
    });
    await expect(guarded('bad')).resolves.toBe('bad');
    await expect(guarded('bad')).resolves.toBe('bad');
    expect(guarded.breaker.state).toBe('open');
    expect(guarded.breaker.lastFailure).toBe('bad');
    expect(fallback).not.toHaveBeenCalled();
    expect(guarded.breaker.stats().failures).toBe(2);
  });

  it('emits success with a duration, and failure with the error and a duration (onSuccess/onFailure)', async () => {
    const { breaker, clock } = fixture();
    const successes: CircuitEvents['success'][] = [];
    const failures: CircuitEvents['failure'][] = [];
    const ignored: CircuitEvents['ignored'][] = [];
    breaker.on('success', (e) => successes.push(e));
    breaker.on('failure', (e) => failures.push(e));
    breaker.on('ignored', (e) => ignored.push(e));
    await breaker.execute(async () => {
      clock.advance(12);
      return 1;
    });
    await breaker.execute(async () => {
      clock.advance(3);
      throw new MyException('handled');
    }).catch(() => undefined);
    await breaker.execute(async () => {
      clock.advance(4);
      throw new Error('unhandled');
    }).catch(() => undefined);
    expect(successes).toEqual([{ duration: 12, weight: 1 }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.duration).toBe(3);
    expect(failures[0]!.error).toBeInstanceOf(MyException);
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.duration).toBe(4);
    expect((ignored[0]!.error as Error).message).toBe('unhandled');
  });

  it('emits the specific event before stateChange (onBreak before onStateChange)', async () => {
    const { breaker, openBreaker } = fixture();
    const seen: string[] = [];
    breaker.on('open', () => seen.push('open'));
    breaker.on('stateChange', ({ from, to }) => seen.push(`${from}->${to}`));
    await openBreaker();
    expect(seen).toEqual(['open', 'closed->open']);
  });

  it('a throwing listener does not change the caller\'s result; it is reported (cockatiel lets it replace the result: documented difference)', async () => {
    const reports: [unknown, string][] = [];
    const { breaker, execute } = fixture({ reportError: (error, source) => reports.push([error, source]) });
    breaker.on('open', () => {
      throw new Error('listener broke');
    });
    const fail = () => {
      throw new MyException('real');
    };
    await expect(execute(fail)).rejects.toBeInstanceOf(MyException);
    await expect(execute(fail)).rejects.toThrow('real');
    expect(breaker.state).toBe('open');
    expect(reports).toHaveLength(1);
    expect((reports[0]![0] as Error).message).toBe('listener broke');
    expect(reports[0]![1]).toBe('open');
  });

  it('removing a listener stops it (IDisposable.dispose → the function on() returns)', async () => {
    const { breaker, openBreaker } = fixture();
    const seen: unknown[] = [];
    const off = breaker.on('open', (e) => seen.push(e));
    off();
    await openBreaker();
    expect(seen).toHaveLength(0);
  });
});

describe('cockatiel halfOpenAfter with a backoff', () => {
  it('grows the open time on every failed trial, and starts over once the circuit closes', async () => {
    const { execute, breaker, clock } = fixture({
      failureThreshold: 1,
      recoveryTimeout: exponentialBackoff({ initial: 1000, max: 60_000 }),
    });
    const fail = () => {
      throw new MyException();
    };
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(1000);
    clock.advance(1000);
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(2000);
    clock.advance(2000);
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(4000);
    clock.advance(4000);
    await execute(() => 1);
    expect(breaker.state).toBe('closed');
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(1000);
  });

  it('caps the open time at max', async () => {
    const { execute, breaker, clock } = fixture({
      failureThreshold: 1,
      recoveryTimeout: exponentialBackoff({ initial: 1000, max: 3000 }),
    });
    const fail = () => {
      throw new MyException();
    };
    const seen: number[] = [];
    await execute(fail).catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      seen.push(breaker.retryAfter);
      clock.advance(breaker.retryAfter);
      await execute(fail).catch(() => undefined);
    }
    expect(seen).toEqual([1000, 2000, 3000, 3000]);
  });

  it('a function of the openings count works as halfOpenAfter', async () => {
    const openings: number[] = [];
    const { execute, breaker, clock } = fixture({
      failureThreshold: 1,
      recoveryTimeout: (n) => {
        openings.push(n);
        return n * 100;
      },
    });
    const fail = () => {
      throw new MyException();
    };
    await execute(fail).catch(() => undefined);
    clock.advance(100);
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(200);
    expect(openings).toEqual([1, 2]);
  });
});

describe('cockatiel halfOpenSampling → halfOpenMaxCalls and successThreshold', () => {
  it('admits `calls` trials at once and refuses the next; all of them succeeding closes the circuit', async () => {
    const { execute, breaker, clock, openBreaker } = fixture({ halfOpenMaxCalls: 3, successThreshold: 3 });
    await openBreaker();
    clock.advance(1000);
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const trials = gates.map((g) => execute(() => g.promise));
    expect(await refusal(execute(() => 0))).toBeInstanceOf(CircuitOpenError);
    gates[0]!.resolve(1);
    gates[1]!.resolve(2);
    await flush();
    expect(breaker.state).toBe('half-open');
    gates[2]!.resolve(3);
    expect(await Promise.all(trials)).toEqual([1, 2, 3]);
    expect(breaker.state).toBe('closed');
  });

  it('one failing trial re-opens at once, and the late successes of the others do not close it', async () => {
    const { execute, breaker, clock, openBreaker } = fixture({ halfOpenMaxCalls: 3, successThreshold: 3 });
    await openBreaker();
    clock.advance(1000);
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const trials = gates.map((g) => settle(execute(() => g.promise)));
    gates[1]!.reject(new MyException());
    await flush();
    expect(breaker.state).toBe('open');
    gates[0]!.resolve(1);
    gates[2]!.resolve(3);
    await Promise.all(trials);
    expect(breaker.state).toBe('open');
  });

  it('a slot frees as soon as its trial succeeds, so a later caller may be a trial too', async () => {
    const { execute, breaker, clock, openBreaker } = fixture({ halfOpenMaxCalls: 1, successThreshold: 2 });
    await openBreaker();
    clock.advance(1000);
    await expect(execute(() => 1)).resolves.toBe(1);
    expect(breaker.state).toBe('half-open');
    await expect(execute(() => 2)).resolves.toBe(2);
    expect(breaker.state).toBe('closed');
  });
});

describe('cockatiel toJSON / initialState → toJSON / restoreBreaker', () => {
  it('restores a closed breaker with its consecutive failures', async () => {
    const { execute, breaker } = fixture();
    await execute(() => {
      throw new MyException();
    }).catch(() => undefined);
    const restored = restoreBreaker(JSON.parse(JSON.stringify(breaker)), { expectedError: MyException, failureThreshold: 2, registry: false });
    expect(restored.state).toBe('closed');
    expect(restored.consecutiveFailures).toBe(1);
    await restored.execute(() => {
      throw new MyException();
    }).catch(() => undefined);
    expect(restored.state).toBe('open');
  });

  it('restores an open breaker that keeps what was left of its open time', async () => {
    const { breaker, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(400);
    const snapshot = JSON.parse(JSON.stringify(breaker));
    const restored = restoreBreaker(snapshot, { clock, recoveryTimeout: 1000, registry: false });
    expect(restored.state).toBe('open');
    expect(restored.retryAfter).toBe(600);
    clock.advance(600);
    expect(restored.state).toBe('half-open');
  });

  it('restores the backoff position: after a restore, the next failed trial backs off further', async () => {
    const recoveryTimeout = exponentialBackoff({ initial: 1000, max: 60_000 });
    const { execute, breaker, clock } = fixture({ failureThreshold: 1, recoveryTimeout });
    const fail = () => {
      throw new MyException();
    };
    await execute(fail).catch(() => undefined);
    clock.advance(1000);
    await execute(fail).catch(() => undefined);
    expect(breaker.retryAfter).toBe(2000);
    const restored = restoreBreaker(breaker.toJSON(), { clock, failureThreshold: 1, recoveryTimeout, registry: false });
    expect(restored.retryAfter).toBe(2000);
    clock.advance(2000);
    await restored.execute(fail).catch(() => undefined);
    expect(restored.retryAfter).toBe(4000);
  });

  it('saves an open period that has passed as it is, and the restored breaker admits a trial at once (cockatiel saves it as open since 0: same effect)', async () => {
    const { breaker, clock, openBreaker } = fixture();
    await openBreaker();
    clock.advance(1000);
    expect(breaker.state).toBe('half-open');
    const snapshot = breaker.toJSON();
    // Reading the state changed nothing: no call has turned the circuit half-open yet.
    expect(snapshot.state).toBe('open');
    const restored = restoreBreaker(snapshot, { clock, recoveryTimeout: 1000, registry: false });
    expect(restored.state).toBe('half-open');
    await expect(restored.execute(() => 9)).resolves.toBe(9);
    expect(restored.state).toBe('closed');
  });

  it('restores a count window\'s outcomes', async () => {
    const policy = countWindow({ size: 5, failureRate: 0.5, minimumCalls: 4 });
    const a = new CircuitBreaker({ policy, registry: false });
    for (const ok of [true, false, true]) await a.execute(() => (ok ? 1 : Promise.reject(new Error('x')))).catch(() => undefined);
    const b = restoreBreaker(JSON.parse(JSON.stringify(a)), { policy, registry: false });
    expect(b.stats().window).toMatchObject({ calls: 3, failures: 1 });
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(b.state).toBe('open');
  });

  it('a snapshot is a copy: later calls on the source do not change it', async () => {
    const policy = countWindow({ size: 5, failureRate: 0.5, minimumCalls: 5 });
    const a = new CircuitBreaker({ policy, registry: false });
    await a.execute(() => 1);
    const snapshot = a.toJSON();
    const before = JSON.stringify(snapshot);
    await a.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});

describe('cockatiel breakers → trip policies', () => {
  it('ConsecutiveBreaker: a success resets the count', async () => {
    const { execute, breaker } = fixture({ failureThreshold: 3 });
    const fail = () => {
      throw new MyException();
    };
    await execute(fail).catch(() => undefined);
    await execute(fail).catch(() => undefined);
    await execute(() => 1);
    expect(breaker.consecutiveFailures).toBe(0);
    await execute(fail).catch(() => undefined);
    await execute(fail).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await execute(fail).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  describe('CountBreaker → countWindow', () => {
    const make = () => {
      const clock = manualClock(0);
      const breaker = new CircuitBreaker({ policy: countWindow({ size: 100, failureRate: 0.5, minimumCalls: 50 }), clock, registry: false, recoveryTimeout: 1000 });
      const ok = () => breaker.execute(() => 1);
      const fail = () => breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      return { breaker, ok, fail, clock };
    };

    it('rejects out-of-range parameters', () => {
      expect(() => countWindow({ size: 100, failureRate: -1 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, failureRate: 0 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, failureRate: 10 })).toThrow(RangeError);
      expect(() => countWindow({ size: -1 })).toThrow(RangeError);
      expect(() => countWindow({ size: 0 })).toThrow(RangeError);
      expect(() => countWindow({ size: 0.5 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, minimumCalls: -1 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, minimumCalls: 0 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, minimumCalls: 0.5 })).toThrow(RangeError);
      expect(() => countWindow({ size: 100, minimumCalls: 101 })).toThrow(RangeError);
    });

    it('does not open before the minimum number of calls', async () => {
      const { breaker, fail } = make();
      for (let i = 0; i < 49; i++) await fail();
      expect(breaker.state).toBe('closed');
    });

    it('opens when the minimum is reached and the rate is above the threshold', async () => {
      const { breaker, ok, fail } = make();
      for (let i = 0; i < 24; i++) await ok();
      for (let i = 0; i < 25; i++) await fail();
      expect(breaker.state).toBe('closed');
      await fail();
      expect(breaker.state).toBe('open');
    });

    it('opens at exactly the threshold (cockatiel needs more than it: documented difference)', async () => {
      const { breaker, ok, fail } = make();
      for (let i = 0; i < 25; i++) await ok();
      for (let i = 0; i < 24; i++) await fail();
      expect(breaker.state).toBe('closed');
      await fail();
      expect(breaker.state).toBe('open');
    });

    it('wraps around: the window holds the most recent `size` outcomes', async () => {
      const breaker = new CircuitBreaker({ policy: countWindow({ size: 5, failureRate: 0.5 }), registry: false });
      for (let i = 0; i < 9; i++) {
        await breaker.execute(() => (i % 3 === 0 ? Promise.reject(new Error('x')) : 1)).catch(() => undefined);
      }
      expect(breaker.stats().window).toMatchObject({ calls: 5, failures: 1 });
      expect(breaker.state).toBe('closed');
    });

    it('starts empty after recovering from half-open', async () => {
      const { breaker, fail, ok, clock } = make();
      for (let i = 0; i < 50; i++) await fail();
      expect(breaker.state).toBe('open');
      clock.advance(1000);
      await ok();
      expect(breaker.state).toBe('closed');
      expect(breaker.stats().window).toMatchObject({ calls: 0, failures: 0 });
      await fail();
      expect(breaker.state).toBe('closed');
    });
  });

  describe('SamplingBreaker → timeWindow', () => {
    it('does not open below the minimum volume', async () => {
      const clock = manualClock(0);
      const breaker = new CircuitBreaker({ policy: timeWindow({ duration: 5000, failureRate: 0.5, minimumCalls: 15 }), clock, registry: false });
      for (let i = 0; i < 10; i++) {
        await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
        clock.advance(500);
      }
      expect(breaker.state).toBe('closed');
    });

    it('opens once the window holds enough failing calls', async () => {
      const clock = manualClock(0);
      const breaker = new CircuitBreaker({ policy: timeWindow({ duration: 5000, failureRate: 0.5, minimumCalls: 15 }), clock, registry: false });
      for (let i = 0; i < 14; i++) {
        clock.advance(334);
        await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      }
      expect(breaker.state).toBe('closed');
      clock.advance(334);
      await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      expect(breaker.state).toBe('open');
    });

    it('an idle hour clears the window (cockatiel\'s SamplingBreaker keeps stale counts and opens here)', async () => {
      const clock = manualClock(0);
      const breaker = new CircuitBreaker({ policy: timeWindow({ duration: 5000, failureRate: 0.5, minimumCalls: 4 }), clock, registry: false });
      const fail = () => breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      for (let i = 0; i < 3; i++) await fail();
      clock.advance(3_600_000);
      for (let i = 0; i < 3; i++) await breaker.execute(() => 1);
      await fail();
      expect(breaker.state).toBe('closed');
      expect(breaker.stats().window).toMatchObject({ calls: 4, failures: 1 });
    });

    it('starts empty after recovering from half-open', async () => {
      const clock = manualClock(0);
      const breaker = new CircuitBreaker({ policy: timeWindow({ duration: 5000, failureRate: 0.5, minimumCalls: 4 }), clock, registry: false, recoveryTimeout: 1000 });
      const fail = () => breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      for (let i = 0; i < 4; i++) await fail();
      expect(breaker.state).toBe('open');
      clock.advance(1000);
      await breaker.execute(() => 1);
      expect(breaker.stats().window).toMatchObject({ calls: 0, failures: 0 });
      await fail();
      expect(breaker.state).toBe('closed');
    });
  });
});

describe('cockatiel RetryPolicy.test.ts → retry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('sets the retry delay, and the sequence of delays (IterableBackoff → a wait function)', async () => {
    const delays = [10, 20, 20];
    const s = vi.fn(async () => {
      throw new MyErrorA();
    });
    const seen: number[] = [];
    const reports: string[] = [];
    const get = retry(s, { attempts: delays.length + 1, wait: (n) => delays[n - 1]!, onRetry: ({ delay }) => seen.push(delay), reportError: (_e, source) => reports.push(source) });
    const outcome = settle(get());
    await vi.advanceTimersByTimeAsync(50);
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(MyErrorA);
    expect(seen).toEqual([10, 20, 20]);
    expect(s).toHaveBeenCalledTimes(4);
    expect(reports).toEqual([]);
  });

  it('waits exactly the delay before the next attempt', async () => {
    const s = vi.fn(async () => {
      throw new MyErrorA();
    });
    const get = retry(s, { attempts: 2, wait: 50 });
    const outcome = settle(get());
    await vi.advanceTimersByTimeAsync(49);
    expect(s).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s).toHaveBeenCalledTimes(2);
    await outcome;
  });

  it('retries all errors by default', async () => {
    const s = vi.fn().mockRejectedValueOnce(new MyErrorA()).mockResolvedValueOnce('ok');
    const outcome = retry(s, { wait: 0 })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe('ok');
    expect(s).toHaveBeenCalledTimes(2);
  });

  it('retries a synchronous throw too', async () => {
    const s = vi.fn().mockImplementationOnce(() => {
      throw new MyErrorA();
    }).mockReturnValueOnce('ok');
    const outcome = retry(s, { wait: 0 })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe('ok');
  });

  it('filters error types: an error retryOn does not name is thrown at once', async () => {
    const s = vi.fn().mockRejectedValueOnce(new MyErrorA()).mockRejectedValueOnce(new MyErrorB());
    const outcome = settle(retry(s, { attempts: 6, wait: 0, retryOn: MyErrorA })());
    await vi.runAllTimersAsync();
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(MyErrorB);
    expect(s).toHaveBeenCalledTimes(2);
  });

  it('filters returns: retries while retryOnResult says so', async () => {
    const s = vi.fn().mockResolvedValueOnce(1).mockResolvedValueOnce(2);
    const outcome = retry(s, { attempts: 6, wait: 0, retryOnResult: (r: number) => r < 2 })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe(2);
    expect(s).toHaveBeenCalledTimes(2);
  });

  it('permits exponential backoffs (maxAttempts: 2 is attempts: 3)', async () => {
    const s = vi.fn(async () => 1);
    const seen: number[] = [];
    const outcome = retry(s, {
      attempts: 3,
      wait: exponentialBackoff({ initial: 128, max: 30_000 }),
      retryOnResult: (r) => typeof r === 'number',
      onRetry: ({ delay }) => seen.push(delay),
    })();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toBe(1);
    expect(s).toHaveBeenCalledTimes(3);
    expect(seen).toEqual([128, 256]);
  });

  it('bubbles the last result when attempts are exhausted', async () => {
    const s = vi.fn(async () => 1);
    const outcome = retry(s, { attempts: 6, wait: 0, retryOnResult: (r) => r < 2 })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe(1);
    expect(s).toHaveBeenCalledTimes(6);
  });

  it('bubbles the last error when attempts are exhausted, with attempts recorded', async () => {
    const errors: MyErrorB[] = [];
    const s = vi.fn(async () => {
      errors.push(new MyErrorB());
      throw errors.at(-1);
    });
    const outcome = settle(retry(s, { attempts: 6, wait: 0 })());
    await vi.runAllTimersAsync();
    const error = ((await outcome) as { error: MyErrorB & { attempts: number } }).error;
    expect(error).toBe(errors[5]);
    expect(error.attempts).toBe(6);
    expect(s).toHaveBeenCalledTimes(6);
  });

  it('stops retrying when cancellation is requested, rejecting with the signal\'s reason (cockatiel rejects with the attempt\'s error: documented)', async () => {
    const parent = new AbortController();
    const err = new Error('attempt failed');
    let calls = 0;
    const get = retry(async () => {
      const signal = callSignal();
      calls++;
      expect(signal.aborted).toBe(false);
      parent.abort();
      expect(signal.aborted).toBe(true);
      throw err;
    }, { attempts: 4, wait: 0, signal: parent.signal });
    const outcome = settle(get());
    await vi.runAllTimersAsync();
    const error = ((await outcome) as { error: unknown }).error;
    expect(error).toBe(parent.signal.reason);
    expect(calls).toBe(1);
  });

  it('an already aborted signal rejects without calling the function', async () => {
    const s = vi.fn(async () => 1);
    const reason = new Error('cancelled');
    const outcome = settle(retry(s, { signal: AbortSignal.abort(reason) })());
    expect(((await outcome) as { error: unknown }).error).toBe(reason);
    expect(s).not.toHaveBeenCalled();
  });

  it('aborting during a wait rejects at once with the reason and runs no further attempt', async () => {
    const parent = new AbortController();
    const s = vi.fn(async () => {
      throw new MyErrorA();
    });
    const outcome = settle(retry(s, { attempts: 5, wait: 1000, signal: parent.signal })());
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error('stop');
    parent.abort(reason);
    await vi.runAllTimersAsync();
    expect(((await outcome) as { error: unknown }).error).toBe(reason);
    await vi.advanceTimersByTimeAsync(5000);
    expect(s).toHaveBeenCalledTimes(1);
  });

  it('provides the attempt number to onRetry (maxAttempts: 3 is attempts: 4)', async () => {
    const s = vi.fn(async () => {
      throw new MyErrorA();
    });
    const infos: RetryInfo[] = [];
    const outcome = settle(retry(s, { attempts: 4, wait: 0, onRetry: (i) => infos.push(i) })());
    await vi.runAllTimersAsync();
    await outcome;
    expect(infos.map((i) => i.attempt)).toEqual([1, 2, 3]);
    expect(infos.every((i) => i.error instanceof MyErrorA)).toBe(true);
  });

  it('asks `wait` only for retries that happen: never after the last attempt', async () => {
    const reports: string[] = [];
    const waits: number[] = [];
    const delays = [10, 20, 20];
    const s = vi.fn(async () => {
      throw new MyErrorA();
    });
    const outcome = settle(retry(s, {
      attempts: 4,
      wait: (n) => {
        waits.push(n);
        return delays[n - 1]!;
      },
      reportError: (_e, source) => reports.push(source),
    })());
    await vi.runAllTimersAsync();
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(MyErrorA);
    expect(s).toHaveBeenCalledTimes(4);
    // Before the fix: waits [1, 2, 3, 4] and reports ['wait']: wait(4) was asked after the last
    // attempt, and its undefined (no fourth delay in the list) reported as a broken `wait`.
    expect({ waits, reports }).toEqual({ waits: [1, 2, 3], reports: [] });
  });

  it('onRetry hears a result retryOnResult rejected', async () => {
    const infos: RetryInfo[] = [];
    const s = vi.fn().mockResolvedValueOnce(1).mockResolvedValueOnce(2);
    const outcome = retry(s, { wait: 0, retryOnResult: (r: number) => r < 2, onRetry: (i) => infos.push(i) })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe(2);
    expect(infos).toEqual([{ attempt: 1, error: undefined, result: 1, delay: 0 }]);
  });

  it('a throwing onRetry is reported and retrying carries on', async () => {
    const reports: string[] = [];
    const s = vi.fn().mockRejectedValueOnce(new MyErrorA()).mockResolvedValueOnce('ok');
    const outcome = retry(s, {
      wait: 0,
      onRetry: () => {
        throw new Error('listener');
      },
      reportError: (_e, source) => reports.push(source),
    })();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe('ok');
    expect(reports).toEqual(['onRetry']);
  });
});

describe('cockatiel TimeoutPolicy.test.ts → timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('works when no timeout happens', async () => {
    await expect(timeout(() => 42, 1000)()).resolves.toBe(42);
  });

  it('aggressively cancels: rejects at the deadline and aborts the call\'s signal', async () => {
    let signal!: AbortSignal;
    const get = timeout(async () => {
      signal = callSignal();
      await new Promise((resolve) => setTimeout(resolve, 10));
      return 'late';
    }, 5);
    const outcome = settle(get());
    await vi.advanceTimersByTimeAsync(0);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(5);
    const error = ((await outcome) as { error: unknown }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(error);
    await vi.advanceTimersByTimeAsync(10);
  });

  it('links a parent cancellation signal (retry\'s signal around timeout)', async () => {
    const parent = new AbortController();
    let checked = false;
    const get = retry(timeout(() => {
      const signal = callSignal();
      expect(signal.aborted).toBe(false);
      parent.abort();
      expect(signal.aborted).toBe(true);
      checked = true;
      return 1;
    }, 1000), { attempts: 1, signal: parent.signal });
    await settle(get());
    expect(checked).toBe(true);
  });

  it('still has its own timeout when given a parent signal', async () => {
    const parent = new AbortController();
    let signal!: AbortSignal;
    const get = retry(timeout(async () => {
      signal = callSignal();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }, 1), { attempts: 1, signal: parent.signal });
    const outcome = settle(get());
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect(parent.signal.aborted).toBe(false);
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(3);
  });

  it('does not abort the signal when the call returns in time (cockatiel aborts on return by default: documented difference)', async () => {
    let signal!: AbortSignal;
    await timeout(async () => {
      signal = callSignal();
    }, 1)();
    expect(signal.aborted).toBe(false);
  });

  it('a function that throws in time rejects with its own error, not a timeout', async () => {
    const err = new Error('oh no!');
    await expect(timeout(() => {
      throw err;
    }, 2)()).rejects.toBe(err);
  });

  it('a guarded breaker counts a timeout as a failure (onTimeout + onFailure)', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, registry: false });
    const failures: CircuitEvents['failure'][] = [];
    breaker.on('failure', (e) => failures.push(e));
    const get = circuit(() => new Promise((resolve) => setTimeout(resolve, 10)), { breaker, timeout: 2 });
    const outcome = settle(get());
    await vi.advanceTimersByTimeAsync(2);
    expect(((await outcome) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(failures[0]!.error).toBeInstanceOf(TimeoutError);
    expect(breaker.stats()).toMatchObject({ failures: 1, timeouts: 1 });
    expect(breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(10);
  });
});

describe('cockatiel wrap(retry, breaker) → pipe(fn, circuit, retry)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retrying into an open circuit waits its retryAfter instead of hammering, then the trial succeeds', async () => {
    let healthy = false;
    const fn = vi.fn(async () => {
      if (!healthy) throw new MyException();
      return 'ok';
    });
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1000, registry: false });
    const get = pipe(fn, (f) => circuit(f, breaker), (f) => retry(f, { attempts: 3, wait: 0 }));
    const outcome = get();
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe('open');
    expect(fn).toHaveBeenCalledTimes(1);
    healthy = true;
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(outcome).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(2);
    expect(breaker.state).toBe('closed');
  });

  it('gives up at once on an open circuit whose retryAfter does not fit maxElapsed', async () => {
    const fn = vi.fn(async () => {
      throw new MyException();
    });
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 10_000, registry: false });
    const get = pipe(fn, (f) => circuit(f, breaker), (f) => retry(f, { attempts: 5, wait: 0, maxElapsed: 1000 }));
    const outcome = settle(get());
    await vi.runAllTimersAsync();
    const error = ((await outcome) as { error: unknown }).error;
    expect(isCircuitOpenError(error)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('does not retry an isolated circuit', async () => {
    const fn = vi.fn(async () => 1);
    const breaker = new CircuitBreaker({ registry: false });
    breaker.isolate();
    const get = pipe(fn, (f) => circuit(f, breaker), (f) => retry(f, { attempts: 5, wait: 0 }));
    const error = ((await settle(get())) as { error: unknown }).error;
    expect(error).toBeInstanceOf(CircuitIsolatedError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('retry inside the breaker: one counted failure per exhausted retry sequence', async () => {
    const fn = vi.fn(async () => {
      throw new MyException();
    });
    const breaker = new CircuitBreaker({ failureThreshold: 2, registry: false });
    const get = pipe(fn, (f) => retry(f, { attempts: 3, wait: 0 }), (f) => circuit(f, breaker));
    const outcome = settle(get());
    await vi.runAllTimersAsync();
    await outcome;
    expect(fn).toHaveBeenCalledTimes(3);
    expect(breaker.consecutiveFailures).toBe(1);
    expect(breaker.state).toBe('closed');
  });

  it('the guarded function sees the retry signal through callSignal() under a breaker', async () => {
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    const fn = async () => {
      seen = callSignal();
      return 1;
    };
    const breaker = new CircuitBreaker({ registry: false });
    const get = pipe(fn, (f) => circuit(f, breaker), (f) => retry(f, { attempts: 1, signal: parent.signal }));
    const call = get();
    expect(seen).toBeDefined();
    parent.abort();
    expect(seen!.aborted).toBe(true);
    // The function had finished before it could see the abort: a success, though its caller left.
    await expect(call).rejects.toThrow(/abort/i);
    expect(breaker.stats()).toMatchObject({ successes: 1, aborted: 0 });
  });
});

describe('cockatiel @usePolicy(policy) → @circuit / @retry / @timeout', () => {
  const clock = manualClock(0);
  class Client {
    calls = 0;
    constructor(readonly healthy: boolean) {}

    @circuit({ failureThreshold: 1, recoveryTimeout: 1000, clock, registry: false, scope: 'instance' })
    @retry({ attempts: 2, wait: 0 })
    async get(id: string): Promise<string> {
      this.calls++;
      if (!this.healthy) throw new MyException(id);
      return `${id}:ok`;
    }
  }

  it('keeps the method\'s arguments and `this` (no appended context argument, no popped signal)', async () => {
    const client = new Client(true);
    await expect(client.get('a')).resolves.toBe('a:ok');
    expect(client.calls).toBe(1);
  });

  it('retries inside the breaker, then the breaker refuses once it opened', async () => {
    const client = new Client(false);
    await expect(client.get('a')).rejects.toBeInstanceOf(MyException);
    expect(client.calls).toBe(2);
    expect(breakerOf(client, 'get').state).toBe('open');
    await expect(client.get('a')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(client.calls).toBe(2);
  });
});
