import type { BreakerInternals } from './internals.js';
import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordError, recordValue, rejection } from './outcomes.js';
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
export function asyncPath(fn: (...args: unknown[]) => unknown, core: BreakerInternals, fallback: Fallback | undefined): AsyncGuarded {
  return fallback === undefined ? watching(fn, core) : withFallback(fn, core, fallback);
}

// The hot path is kept small enough for V8 to inline into the caller; cold paths live apart.
function watching(fn: (...args: unknown[]) => unknown, core: BreakerInternals): AsyncGuarded {
  const machine = core.machine;
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
      recordValue(core, token, value, Number.NaN);
      return value;
    };
    onError = (error) => {
      recordError(core, token, error, Number.NaN);
      throw error;
    };
  };
  const retry: Retry = { waiting: false };
  const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const token = admit(machine, core.now);
    if (token === REJECTED) return afterLeaseAnswer(core, retry, guarded, this, args) ?? rejectSoon(rejection(core));
    const start = callStart(core);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      recordError(core, token, error, start);
      return rejectSoon(error);
    }
    if (!(result instanceof Promise)) return settleOther(core, token, result, undefined, this, args, start);
    if (!Number.isNaN(start)) {
      // Timed calls need their own start, so their handlers are made per call.
      return result.then(
        (value) => {
          recordValue(core, token, value, start);
          return value;
        },
        (error: unknown) => {
          recordError(core, token, error, start);
          throw error;
        },
      );
    }
    if (token !== observedToken) observe(token);
    return result.then(onValue, onError);
  };
  return guarded;
}

function withFallback(fn: (...args: unknown[]) => unknown, core: BreakerInternals, fallback: Fallback): AsyncGuarded {
  const machine = core.machine;
  // With a fallback the caller's promise is a new one anyway, so one chained path serves all.
  const retry: Retry = { waiting: false };
  const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const token = admit(machine, core.now);
    if (token === REJECTED) {
      return afterLeaseAnswer(core, retry, guarded, this, args) ?? settleWithFallback(core, fallback, this, rejection(core), args);
    }
    const start = callStart(core);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      return failed(core, token, error, fallback, this, args, start);
    }
    return settleOther(core, token, result, fallback, this, args, start);
  };
  return guarded;
}

/** True while a call that waited for a lease answer is admitted again: the admission is synchronous. */
interface Retry {
  waiting: boolean;
}

/**
 * A call refused while a shared store asks the fleet for the trial lease waits for the answer
 * (one round trip, at most the store's timeout) and is tried once more: it may be the trial.
 * Undefined when nothing is being asked, or the call already waited once: refuse it now.
 */
function afterLeaseAnswer(core: BreakerInternals, retry: Retry, guarded: AsyncGuarded, self: unknown, args: unknown[]): Promise<unknown> | undefined {
  const answer = retry.waiting ? undefined : core.link?.leaseAnswer();
  return answer?.then(() => {
    retry.waiting = true;
    try {
      return guarded.apply(self, args);
    } finally {
      retry.waiting = false;
    }
  });
}

/** Settles a call by chaining onto its result: a promise, another thenable, or a plain value. */
function settleOther(
  core: BreakerInternals,
  token: number,
  result: unknown,
  fallback: Fallback | undefined,
  self: unknown,
  args: unknown[],
  start: number,
): Promise<unknown> {
  if (!isThenable(result)) {
    recordValue(core, token, result, start);
    return Promise.resolve(result);
  }
  return Promise.resolve(result).then(
    (value) => {
      recordValue(core, token, value, start);
      return value;
    },
    (error: unknown) => failed(core, token, error, fallback, self, args, start),
  );
}

function failed(
  core: BreakerInternals,
  token: number,
  error: unknown,
  fallback: Fallback | undefined,
  self: unknown,
  args: unknown[],
  start: number,
): Promise<unknown> {
  const counted = recordError(core, token, error, start);
  return counted && fallback !== undefined ? settleWithFallback(core, fallback, self, error, args) : rejectSoon(error);
}

function settleWithFallback(core: BreakerInternals, fallback: Fallback, self: unknown, error: unknown, args: unknown[]): Promise<unknown> {
  noteFallback(core, error);
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
