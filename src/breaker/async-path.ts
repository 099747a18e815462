import type { BreakerInternals } from './internals.js';
import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordAborted, recordError, recordValue, rejection, servedByFallback, stoppedByAbort } from './outcomes.js';
import type { SignalOption } from './call-signal.js';
import { callWithSignal, linkedController, outerSignal, pickSignal } from './call-signal.js';
import { admit, REJECTED } from '../machine/machine.js';
import { enterTraced, lookUpChannels, trace, tracer } from './diagnostics.js';
import type { Fallback } from './fallback.js';
import { runFallback } from './fallback.js';

type AsyncGuarded = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * Wraps `fn` so that each call goes through the breaker and returns a promise. Nothing throws
 * synchronously: a synchronous throw, a rejection and a refused call all become rejections.
 * `signal` is the caller's cancellation (see {@link cancellable}).
 */
export function callsThrough(breaker: object, fn: (...args: unknown[]) => unknown, fallback: Fallback | undefined, signal?: SignalOption): AsyncGuarded {
  return asyncPath(fn, internalsOf(breaker), fallback, signal);
}

/** {@link callsThrough}, given the breaker's insides. */
export function asyncPath(fn: (...args: unknown[]) => unknown, internals: BreakerInternals, fallback: Fallback | undefined, signal?: SignalOption): AsyncGuarded {
  lookUpChannels();
  const plain = fallback === undefined ? watching(fn, internals) : withFallback(fn, internals, fallback);
  if (signal === undefined) return plain;
  const leaseWait: LeaseWait = { readmitting: false };
  const withSignal = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const calls = tracer();
    if (calls !== undefined) return trace(calls, 'tracePromise', withSignal, internals, this, args);
    let own: AbortSignal | undefined;
    try {
      own = pickSignal(signal, this, args);
    } catch (error) {
      return rejectSoon(error);
    }
    if (own !== undefined) return cancellable(fn, internals, fallback, leaseWait, this, args, own);
    // Traced above if anyone listens: the plain path must not trace this call again.
    enterTraced();
    return plain.apply(this, args);
  };
  return withSignal;
}

// The hot path is kept small enough for V8 to inline into the caller; cold paths live apart.
function watching(fn: (...args: unknown[]) => unknown, internals: BreakerInternals): AsyncGuarded {
  const machine = internals.machine;
  // While closed every call shares one token, so the handlers are made once per closed period,
  // not once per call. They pass the outcome on unchanged: a rejection nobody handles is still
  // reported as unhandled, as it would be without the breaker.
  let observedToken = REJECTED;
  let onValue: (value: unknown) => unknown = (value) => value;
  let onError: (error: unknown) => never = (error) => {
    throw error;
  };
  const observe = (token: number): void => {
    observedToken = token;
    onValue = (value) => {
      recordValue(internals, token, value, Number.NaN);
      return value;
    };
    onError = (error) => {
      recordError(internals, token, error, Number.NaN);
      throw error;
    };
  };
  const leaseWait: LeaseWait = { readmitting: false };
  const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const calls = tracer();
    if (calls !== undefined) return trace(calls, 'tracePromise', guarded, internals, this, args);
    if (outerSignal() !== undefined) return cancellable(fn, internals, undefined, leaseWait, this, args, undefined);
    const token = admit(machine, internals.now);
    if (token === REJECTED) return afterLeaseAnswer(internals, leaseWait, guarded, this, args) ?? rejectSoon(rejection(internals));
    const start = callStart(internals);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      recordError(internals, token, error, start);
      return rejectSoon(error);
    }
    if (!(result instanceof Promise)) return settleOther(internals, token, result, undefined, this, args, start);
    if (!Number.isNaN(start)) {
      // Timed calls need their own start, so their handlers are made per call.
      return result.then(
        (value) => {
          recordValue(internals, token, value, start);
          return value;
        },
        (error: unknown) => {
          recordError(internals, token, error, start);
          throw error;
        },
      );
    }
    if (token !== observedToken) observe(token);
    return result.then(onValue, onError);
  };
  return guarded;
}

function withFallback(fn: (...args: unknown[]) => unknown, internals: BreakerInternals, fallback: Fallback): AsyncGuarded {
  const machine = internals.machine;
  // With a fallback the caller's promise is a new one anyway, so one chained path serves all.
  const leaseWait: LeaseWait = { readmitting: false };
  const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const calls = tracer();
    if (calls !== undefined) return trace(calls, 'tracePromise', guarded, internals, this, args);
    if (outerSignal() !== undefined) return cancellable(fn, internals, fallback, leaseWait, this, args, undefined);
    const token = admit(machine, internals.now);
    if (token === REJECTED) {
      return afterLeaseAnswer(internals, leaseWait, guarded, this, args) ?? settleWithFallback(internals, fallback, this, rejection(internals), args);
    }
    const start = callStart(internals);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      return failed(internals, token, error, start, fallback, this, args);
    }
    return settleOther(internals, token, result, fallback, this, args, start);
  };
  return guarded;
}

/**
 * A call its caller can cancel: with the wrapper's `signal`, or under an enclosing call's (a
 * `retry` with a signal, a `timeout` around the circuit). An abort lets the caller go at once,
 * with the signal's reason, and aborts the function's `callSignal()`; but the call keeps its trial
 * slot until the function settles, and is judged then: a success, a failure or the breaker's own
 * timeout count as always (so a dependency that hangs behind impatient callers still trips), and
 * only a function that stops because of the abort counts as aborted. A call whose signal aborted
 * already is not run.
 */
function cancellable(
  fn: (...args: unknown[]) => unknown,
  internals: BreakerInternals,
  fallback: Fallback | undefined,
  leaseWait: LeaseWait,
  self: unknown,
  args: unknown[],
  own: AbortSignal | undefined,
): Promise<unknown> {
  // A call of its own: a long-lived parent (a shutdown signal) must not hold every call it saw.
  const { controller, unlink } = linkedController([outerSignal(), own]);
  return attempt(fn, internals, fallback, leaseWait, self, args, controller.signal, unlink);
}

function attempt(
  fn: (...args: unknown[]) => unknown,
  internals: BreakerInternals,
  fallback: Fallback | undefined,
  leaseWait: LeaseWait,
  self: unknown,
  args: unknown[],
  signal: AbortSignal,
  unlink: () => void,
): Promise<unknown> {
  if (signal.aborted) {
    unlink();
    recordAborted(internals, undefined, signal.reason, Number.NaN);
    return rejectSoon(signal.reason);
  }
  const token = admit(internals.machine, internals.now);
  if (token === REJECTED) {
    const again = afterLeaseAnswer(internals, leaseWait, function (this: unknown, ...againArgs: unknown[]) {
      return attempt(fn, internals, fallback, leaseWait, this, againArgs, signal, unlink);
    }, self, args);
    if (again !== undefined) return again;
    unlink();
    return fallback === undefined ? rejectSoon(rejection(internals)) : settleWithFallback(internals, fallback, self, rejection(internals), args);
  }
  const start = callStart(internals);
  let result: unknown;
  try {
    result = callWithSignal(signal, () => fn.apply(self, args));
  } catch (error) {
    result = Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    // No need to stop listening once the call settles: the signal is this call's alone, and
    // nothing can abort it after `unlink`.
    const release = (): void => {
      unlink();
      reject(signal.reason);
    };
    // The function may have aborted it itself, before anyone listened.
    if (signal.aborted) release();
    else signal.addEventListener('abort', release);
    Promise.resolve(result).then(
      (value) => {
        unlink();
        recordValue(internals, token, value, start);
        resolve(value);
      },
      (error: unknown) => {
        unlink();
        if (stoppedByAbort(signal, error)) {
          recordAborted(internals, token, error, start);
          reject(error);
        } else if (signal.aborted) {
          // The caller is gone: the outcome still tells the breaker about the dependency, but
          // no fallback runs for nobody.
          recordError(internals, token, error, start);
        } else {
          resolve(failed(internals, token, error, start, fallback, self, args));
        }
      },
    );
  });
}

/** Whether a call that waited for the trial lease's answer is being admitted again (synchronously). */
interface LeaseWait {
  readmitting: boolean;
}

/**
 * A call refused while a shared store asks the fleet for the trial lease waits for the answer
 * (one round trip, at most the store's timeout) and is tried once more: it may be the trial.
 * Undefined when nothing is being asked, or the call already waited once: refuse it now.
 */
function afterLeaseAnswer(internals: BreakerInternals, leaseWait: LeaseWait, guarded: AsyncGuarded, self: unknown, args: unknown[]): Promise<unknown> | undefined {
  const answer = leaseWait.readmitting ? undefined : internals.link?.leaseAnswer();
  return answer?.then(() => {
    leaseWait.readmitting = true;
    try {
      // The same call, admitted again: traced once, from its start.
      enterTraced();
      return guarded.apply(self, args);
    } finally {
      leaseWait.readmitting = false;
    }
  });
}

/** Settles a call by chaining onto its result: a promise, another thenable, or a plain value. */
function settleOther(
  internals: BreakerInternals,
  token: number,
  result: unknown,
  fallback: Fallback | undefined,
  self: unknown,
  args: unknown[],
  start: number,
): Promise<unknown> {
  if (!isThenable(result)) {
    recordValue(internals, token, result, start);
    return Promise.resolve(result);
  }
  return Promise.resolve(result).then(
    (value) => {
      recordValue(internals, token, value, start);
      return value;
    },
    (error: unknown) => failed(internals, token, error, start, fallback, self, args),
  );
}

function failed(
  internals: BreakerInternals,
  token: number,
  error: unknown,
  start: number,
  fallback: Fallback | undefined,
  self: unknown,
  args: unknown[],
): Promise<unknown> {
  return servedByFallback(internals, token, error, start, fallback) ? settleWithFallback(internals, fallback, self, error, args) : rejectSoon(error);
}

function settleWithFallback(internals: BreakerInternals, fallback: Fallback, self: unknown, error: unknown, args: unknown[]): Promise<unknown> {
  noteFallback(internals, error);
  try {
    return Promise.resolve(runFallback(fallback, self, error, args));
  } catch (fallbackError) {
    return rejectSoon(fallbackError);
  }
}

/**
 * A promise that rejects with `error` a microtask from now. Node tracks a promise that is
 * rejected before anyone handles it as a possible unhandled rejection, and that bookkeeping
 * costs about 1 µs; by the time this one rejects, a caller that awaits it is already listening.
 * A caller that never handles it still gets the usual unhandled-rejection report.
 */
function rejectSoon(error: unknown): Promise<never> {
  return new Promise((_, reject) => queueMicrotask(() => reject(error)));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
