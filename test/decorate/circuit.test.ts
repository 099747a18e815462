import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, circuit, isCircuitOpenError } from 'circuitry';
import type { CircuitOptions, CircuitState } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

class NetworkError extends Error {}
class TimeoutError extends NetworkError {}
class ValidationError extends Error {}

const boom = () => new NetworkError('boom');

/** A guarded function that fails or succeeds as the test sets it, counting its calls. */
function flaky(options: CircuitOptions<[id: string], string> = {}) {
  const clock = manualClock();
  let outcome: () => Promise<string> = async () => 'ok';
  const calls = { count: 0 };
  const guarded = circuit(
    async (id: string) => {
      calls.count += 1;
      return outcome().then((v) => `${v}:${id}`);
    },
    { clock, failureThreshold: 3, recoveryTimeout: 1000, ...options },
  );
  return {
    guarded,
    clock,
    calls,
    succeed: () => {
      outcome = async () => 'ok';
    },
    fail: (error: unknown = boom()) => {
      outcome = async () => {
        throw error;
      };
    },
  };
}

async function failTimes(f: ReturnType<typeof flaky>, n: number): Promise<void> {
  f.fail();
  for (let i = 0; i < n; i++) await f.guarded('x').catch(() => undefined);
}

describe('circuit(): closed', () => {
  it('passes results and errors through unchanged (rule 1)', async () => {
    const f = flaky();
    await expect(f.guarded('a')).resolves.toBe('ok:a');
    const error = boom();
    f.fail(error);
    await expect(f.guarded('a')).rejects.toBe(error);
    expect(f.guarded.breaker.state).toBe('closed');
  });

  it('counts consecutive failures and resets on success (rule 2)', async () => {
    const f = flaky();
    await failTimes(f, 2);
    expect(f.guarded.breaker.consecutiveFailures).toBe(2);
    f.succeed();
    await f.guarded('a');
    expect(f.guarded.breaker.consecutiveFailures).toBe(0);
  });

  it('never throws synchronously: a synchronous throw becomes a rejection', async () => {
    const error = new Error('sync');
    const guarded = circuit(() => {
      throw error;
    });
    const result = guarded();
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toBe(error);
    expect(guarded.breaker.consecutiveFailures).toBe(1);
  });

  it('accepts functions that return plain values and foreign thenables', async () => {
    const plain = circuit((n: number) => n * 2);
    await expect(plain(21)).resolves.toBe(42);
    const thenable = circuit(() => ({ then: (resolve: (v: string) => void) => resolve('then') }));
    await expect(thenable()).resolves.toBe('then');
    const rejecting = circuit(() => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error('nope')) }));
    await expect(rejecting()).rejects.toThrow('nope');
    expect(rejecting.breaker.consecutiveFailures).toBe(1);
  });

  it('keeps this, name and length', async () => {
    const target = {
      base: 10,
      add: circuit(async function addTo(this: { base: number }, n: number, _unused?: string) {
        return this.base + n;
      }),
    };
    await expect(target.add(5)).resolves.toBe(15);
    expect(target.add.name).toBe('addTo');
    expect(target.add.length).toBe(2);
    expect(target.add.breaker.name).toBe('addTo');
  });
});

describe('circuit(): opening', () => {
  it('opens on the failure that reaches the threshold, which still gets its own error (rule 3)', async () => {
    const onOpen = vi.fn();
    const f = flaky({ onOpen });
    await failTimes(f, 2);
    const third = boom();
    f.fail(third);
    await expect(f.guarded('x')).rejects.toBe(third);
    expect(f.guarded.breaker.state).toBe('open');
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(onOpen).toHaveBeenCalledWith(f.guarded.breaker);
  });

  it('rejects while open without calling the function or changing counts (rule 4)', async () => {
    const f = flaky();
    await failTimes(f, 3);
    f.succeed();
    const before = f.calls.count;
    f.clock.advance(400);
    const error = await f.guarded('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(error)).toBe(true);
    const open = error as CircuitOpenError;
    expect(open.name).toBe('CircuitOpenError');
    expect(open.breakerName).toBe(f.guarded.breaker.name);
    expect(open.retryAfter).toBe(600);
    expect(open.message).toContain('600 ms');
    expect(open.cause).toBeInstanceOf(NetworkError);
    expect(f.calls.count).toBe(before);
    expect(f.guarded.breaker.consecutiveFailures).toBe(3);
  });

  it('a burst of concurrent failures opens once', async () => {
    const onOpen = vi.fn();
    const f = flaky({ onOpen });
    f.fail();
    await Promise.allSettled(Array.from({ length: 20 }, () => f.guarded('x')));
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(f.calls.count).toBe(20);
  });
});

describe('circuit(): recovery', () => {
  it('reads half-open once the timeout has passed, and turns half-open when a call arrives (rule 5)', async () => {
    const changes: string[] = [];
    const onHalfOpen = vi.fn();
    const f = flaky({ onHalfOpen, onStateChange: (from: CircuitState, to: CircuitState) => changes.push(`${from}->${to}`) });
    await failTimes(f, 3);
    f.clock.advance(999);
    expect(f.guarded.breaker.state).toBe('open');
    f.clock.advance(1);
    expect(f.guarded.breaker.state).toBe('half-open');
    expect(f.guarded.breaker.state).toBe('half-open');
    expect(onHalfOpen).not.toHaveBeenCalled();
    f.succeed();
    await f.guarded('x');
    expect(onHalfOpen).toHaveBeenCalledTimes(1);
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('admits halfOpenMaxCalls trials; others are rejected at once, never queued (rule 6)', async () => {
    const f = flaky({ halfOpenMaxCalls: 2, successThreshold: 2 });
    await failTimes(f, 3);
    f.clock.advance(1000);
    const gates = [deferred<string>(), deferred<string>()];
    let gate = 0;
    const slow = circuit(async () => gates[gate++]!.promise, f.guarded.breaker);
    const a = slow();
    const b = slow();
    await expect(slow()).rejects.toMatchObject({ name: 'CircuitOpenError', state: 'half-open' });
    gates[0]!.resolve('a');
    await a;
    expect(f.guarded.breaker.state).toBe('half-open');
    gates[1]!.resolve('b');
    await b;
    expect(f.guarded.breaker.state).toBe('closed');
    expect(f.guarded.breaker.consecutiveFailures).toBe(0);
  });

  it('re-opens on a trial failure and restarts the recovery timeout (rule 6)', async () => {
    const f = flaky();
    await failTimes(f, 3);
    f.clock.advance(1000);
    await expect(f.guarded('x')).rejects.toBeInstanceOf(NetworkError);
    expect(f.guarded.breaker.state).toBe('open');
    expect(f.guarded.breaker.retryAfter).toBe(1000);
    f.clock.advance(1000);
    f.succeed();
    await expect(f.guarded('x')).resolves.toBe('ok:x');
    expect(f.guarded.breaker.state).toBe('closed');
  });

  it('does not let a trial that never settles wedge the breaker (rule 10)', async () => {
    const f = flaky();
    await failTimes(f, 3);
    f.clock.advance(1000);
    const hang = deferred<string>();
    const hanging = circuit(() => hang.promise, f.guarded.breaker);
    const stuck = hanging();
    f.clock.advance(999);
    await expect(f.guarded('x')).rejects.toMatchObject({ state: 'half-open', retryAfter: 1 });
    f.clock.advance(1);
    f.succeed();
    await expect(f.guarded('x')).resolves.toBe('ok:x');
    expect(f.guarded.breaker.state).toBe('closed');
    hang.reject(boom());
    await stuck.catch(() => undefined);
    await flush();
    expect(f.guarded.breaker.state).toBe('closed');
    expect(f.guarded.breaker.consecutiveFailures).toBe(0);
  });

  it('ignores outcomes of calls admitted before the latest state change (rule 11)', async () => {
    const f = flaky();
    const slow = deferred<string>();
    const slowCall = circuit(() => slow.promise, f.guarded.breaker)();
    await failTimes(f, 3);
    f.clock.advance(1000);
    slow.resolve('late');
    await slowCall;
    expect(f.guarded.breaker.state).toBe('half-open');

    const lateFailure = deferred<string>();
    const lateCall = circuit(() => lateFailure.promise, f.guarded.breaker)().catch(() => undefined);
    f.guarded.breaker.open();
    f.guarded.breaker.close();
    lateFailure.reject(boom());
    await lateCall;
    expect(f.guarded.breaker.consecutiveFailures).toBe(0);
  });
});

describe('circuit(): expectedError (rules 7, 8)', () => {
  it('passes other errors through untouched: not a failure, not a success, no fallback', async () => {
    const fallback = vi.fn(() => 'fallback');
    const f = flaky({ expectedError: NetworkError, fallback });
    await failTimes(f, 2);
    fallback.mockClear();
    const invalid = new ValidationError('bad');
    f.fail(invalid);
    await expect(f.guarded('x')).rejects.toBe(invalid);
    expect(f.guarded.breaker.consecutiveFailures).toBe(2);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('frees the trial slot of an ignored error in half-open', async () => {
    const f = flaky({ expectedError: NetworkError });
    await failTimes(f, 3);
    f.clock.advance(1000);
    f.fail(new ValidationError('bad'));
    await expect(f.guarded('x')).rejects.toBeInstanceOf(ValidationError);
    expect(f.guarded.breaker.state).toBe('half-open');
    f.succeed();
    await expect(f.guarded('x')).resolves.toBe('ok:x');
    expect(f.guarded.breaker.state).toBe('closed');
  });

  it('matches subclasses, arrays of classes and predicates', async () => {
    const byClass = flaky({ expectedError: NetworkError });
    byClass.fail(new TimeoutError('slow'));
    await byClass.guarded('x').catch(() => undefined);
    expect(byClass.guarded.breaker.consecutiveFailures).toBe(1);

    const byList = flaky({ expectedError: [ValidationError, TypeError] });
    byList.fail(new TypeError('t'));
    await byList.guarded('x').catch(() => undefined);
    byList.fail(boom());
    await byList.guarded('x').catch(() => undefined);
    expect(byList.guarded.breaker.consecutiveFailures).toBe(1);

    const byPredicate = flaky({ expectedError: (e: unknown) => e instanceof Error && e.message === 'count me' });
    byPredicate.fail(new Error('count me'));
    await byPredicate.guarded('x').catch(() => undefined);
    byPredicate.fail(new Error('not me'));
    await byPredicate.guarded('x').catch(() => undefined);
    expect(byPredicate.guarded.breaker.consecutiveFailures).toBe(1);
  });

  it('counts every error, thrown primitives too, by default', async () => {
    const f = flaky();
    f.fail('a string');
    await expect(f.guarded('x')).rejects.toBe('a string');
    expect(f.guarded.breaker.consecutiveFailures).toBe(1);
  });

  it('counts the error and reports it when the predicate throws', async () => {
    const reportError = vi.fn();
    const predicateError = new Error('predicate broke');
    const f = flaky({
      expectedError: () => {
        throw predicateError;
      },
      reportError,
    });
    f.fail();
    await f.guarded('x').catch(() => undefined);
    expect(f.guarded.breaker.consecutiveFailures).toBe(1);
    expect(reportError).toHaveBeenCalledWith(predicateError, 'expectedError', f.guarded.breaker.name);
  });
});

describe('circuit(): fallback (rule 9)', () => {
  it('serves a counted failure with the original error and the arguments', async () => {
    const fallback = vi.fn((error: unknown, id: string) => `cold:${id}:${(error as Error).message}`);
    const f = flaky({ fallback });
    f.fail();
    await expect(f.guarded('7')).resolves.toBe('cold:7:boom');
  });

  it('serves a rejected call with the CircuitOpenError, without calling the function', async () => {
    const seen: unknown[] = [];
    const f = flaky({
      fallback: (error: unknown) => {
        seen.push(error);
        return 'cold';
      },
    });
    await failTimes(f, 3);
    const calls = f.calls.count;
    await expect(f.guarded('x')).resolves.toBe('cold');
    expect(f.calls.count).toBe(calls);
    expect(isCircuitOpenError(seen.at(-1))).toBe(true);
  });

  it('passes this to the fallback', async () => {
    const service = {
      cache: 'cached',
      get: circuit(
        async function (this: { cache: string }) {
          throw boom();
        },
        {
          fallback(this: { cache: string }) {
            return this.cache;
          },
        },
      ),
    };
    await expect(service.get()).resolves.toBe('cached');
  });

  it('gives the caller the fallback error with the original as cause, sync or async', async () => {
    const original = boom();
    const fallbackError = new Error('cache down');
    const syncThrow = circuit(
      async () => {
        throw original;
      },
      {
        fallback: () => {
          throw fallbackError;
        },
      },
    );
    const caught = await syncThrow().catch((e: unknown) => e);
    expect(caught).toBe(fallbackError);
    expect((caught as Error).cause).toBe(original);

    const asyncError = new Error('async cache down');
    const asyncReject = circuit(
      async () => {
        throw original;
      },
      { fallback: async () => Promise.reject(asyncError) },
    );
    const caughtAsync = await asyncReject().catch((e: unknown) => e);
    expect(caughtAsync).toBe(asyncError);
    expect((caughtAsync as Error).cause).toBe(original);
  });

  it('leaves a rethrown original alone and wraps a thrown primitive', async () => {
    const original = boom();
    const rethrow = circuit(
      async () => {
        throw original;
      },
      {
        fallback: (e: unknown) => {
          throw e;
        },
      },
    );
    const caught = await rethrow().catch((e: unknown) => e);
    expect(caught).toBe(original);
    expect((caught as Error).cause).toBeUndefined();

    const primitive = circuit(
      async () => {
        throw original;
      },
      {
        fallback: () => {
          throw 'nope';
        },
      },
    );
    const wrapped = await primitive().catch((e: unknown) => e);
    expect(wrapped).toBeInstanceOf(Error);
    expect((wrapped as Error).message).toBe('fallback threw "nope" (a string)');
    expect((wrapped as Error).cause).toBe(original);
  });
});

describe('CircuitBreaker: manual control and sharing (rule 12)', () => {
  it('forces open and closed; close resets the count; onStateChange only for real changes', async () => {
    const changes: string[] = [];
    const clock = manualClock();
    const breaker = new CircuitBreaker({ clock, onStateChange: (from, to) => changes.push(`${from}->${to}`) });
    const guarded = circuit(async () => {
      throw boom();
    }, breaker);
    await guarded().catch(() => undefined);
    expect(breaker.consecutiveFailures).toBe(1);
    breaker.close();
    expect(breaker.consecutiveFailures).toBe(0);
    expect(changes).toEqual([]);
    breaker.open();
    await expect(guarded()).rejects.toBeInstanceOf(CircuitOpenError);
    breaker.close();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->closed']);
  });

  it('one breaker guards several functions', async () => {
    const clock = manualClock();
    const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 2, clock });
    const charge = circuit(async (_amount: number) => {
      throw boom();
    }, payments);
    const refund = circuit(async (_id: string) => 'refunded', payments);
    await charge(1).catch(() => undefined);
    await charge(2).catch(() => undefined);
    expect(charge.breaker).toBe(payments);
    await expect(refund('r1')).rejects.toMatchObject({ breakerName: 'payments' });
  });

  it('takes a shared breaker with its own fallback through the breaker option', async () => {
    const shared = new CircuitBreaker({ name: 'shared' });
    shared.open();
    const guarded = circuit(async (n: number) => n, { breaker: shared, fallback: (_e, n) => -n });
    await expect(guarded(3)).resolves.toBe(-3);
  });
});

describe('containment (rule 13)', () => {
  it('a throwing listener never changes the result and is reported', async () => {
    const reportError = vi.fn();
    const listenerError = new Error('listener');
    const f = flaky({
      failureThreshold: 1,
      onOpen: () => {
        throw listenerError;
      },
      onStateChange: () => {
        throw listenerError;
      },
      reportError,
    });
    const error = boom();
    f.fail(error);
    await expect(f.guarded('x')).rejects.toBe(error);
    expect(f.guarded.breaker.state).toBe('open');
    const name = f.guarded.breaker.name;
    expect(reportError.mock.calls).toEqual([
      [listenerError, 'onOpen', name],
      [listenerError, 'onStateChange', name],
    ]);
  });

  it('a throwing or broken clock is reported and the last good reading is used', async () => {
    const reportError = vi.fn();
    let reading: number | (() => never) = 5000;
    const clock = {
      now: () => {
        if (typeof reading === 'function') return reading();
        return reading;
      },
    };
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100, reportError });
    const guarded = circuit(async () => {
      throw boom();
    }, breaker);
    await guarded().catch(() => undefined);
    reading = () => {
      throw new Error('clock broke');
    };
    await expect(guarded()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.retryAfter).toBe(100);
    expect(reportError).toHaveBeenCalledWith(expect.objectContaining({ message: 'clock broke' }), 'clock', 'anonymous');
    reading = Number.NaN;
    expect(breaker.state).toBe('open');
    expect(reportError).toHaveBeenLastCalledWith(expect.any(TypeError), 'clock', 'anonymous');
  });

  it('a throwing reporter is swallowed', async () => {
    const f = flaky({
      failureThreshold: 1,
      onOpen: () => {
        throw new Error('listener');
      },
      reportError: () => {
        throw new Error('reporter');
      },
    });
    f.fail();
    await expect(f.guarded('x')).rejects.toBeInstanceOf(NetworkError);
    expect(f.guarded.breaker.state).toBe('open');
  });

  it('reports through a process warning by default', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const breaker = new CircuitBreaker({
        name: 'noisy',
        onOpen: () => {
          throw new Error('listener broke');
        },
      });
      breaker.open();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.name).toBe('CircuitryWarning');
    expect(warnings[0]!.message).toBe('onOpen of "noisy" threw: Error: listener broke');
  });
});

describe('no time when nothing needs it', () => {
  it('the closed-state success path never reads the clock', async () => {
    const f = flaky();
    const before = f.clock.reads;
    for (let i = 0; i < 10; i++) await f.guarded('x');
    expect(f.clock.reads).toBe(before);
  });

  it('creates no timers (rule 14)', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    try {
      const f = flaky();
      await failTimes(f, 5);
      f.clock.advance(1000);
      f.succeed();
      await f.guarded('x');
      expect(setTimeoutSpy).not.toHaveBeenCalled();
      expect(setIntervalSpy).not.toHaveBeenCalled();
    } finally {
      setTimeoutSpy.mockRestore();
      setIntervalSpy.mockRestore();
    }
  });
});
