import type { BreakerInternals } from './internals.js';
import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordError, recordValue, rejection, servedByFallback } from './outcomes.js';
import { admit, REJECTED } from '../machine/machine.js';
import type { Fallback } from './fallback.js';
import { runFallback } from './fallback.js';

type AsyncGuarded = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * Wraps `fn` so that each call goes through the breaker and returns a promise. Nothing throws
 * synchronously: a synchronous throw, a rejection and a refused call all become rejections.
 */
export function callsThrough(breaker: object, fn: (...args: unknown[]) => unknown, fallback: Fallback | undefined): AsyncGuarded {
  return asyncPath(fn, internalsOf(breaker), fallback);
}

/** {@link callsThrough}, given the breaker's insides. */
export function asyncPath(fn: (...args: unknown[]) => unknown, internals: BreakerInternals, fallback: Fallback | undefined): AsyncGuarded {
  return fallback === undefined ? watching(fn, internals) : withFallback(fn, internals, fallback);
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
