import type { BreakerInternals } from './internals.js';
import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordAborted, recordValue, rejection, servedByFallback } from './outcomes.js';
import type { SignalOption } from './call-signal.js';
import { outerSignal, pickSignal } from './call-signal.js';
import type { Machine } from '../machine/machine.js';
import { admit, REJECTED, release } from '../machine/machine.js';
import type { Fallback } from './fallback.js';
import { runFallback } from './fallback.js';
import { enterTraced, lookUpChannels, trace, tracer } from './diagnostics.js';

/**
 * Wraps a synchronous `fn` so that each call goes through the breaker and stays synchronous: it
 * returns the value or throws, {@link CircuitOpenError} included. A native `Promise` returned by
 * `fn` is a misuse (`circuit` is for those): the caller gets a `TypeError`, the promise's rejection
 * is handled, and the call counts neither way. A synchronous call cannot be cut short, so a
 * caller's `signal`, or an enclosing call's as for `circuit`, only keeps a call from running when
 * it has aborted already.
 */
export function syncCallsThrough(
  breaker: object,
  fn: (...args: unknown[]) => unknown,
  fallback: Fallback | undefined,
  signal?: SignalOption,
): (...args: unknown[]) => unknown {
  lookUpChannels();
  const internals = internalsOf(breaker);
  const machine = internals.machine;
  // The guarded function is kept small enough for V8 to inline into its callers: the refusal,
  // the failure and the misuse paths live in functions of their own.
  const guarded = function (this: unknown, ...args: unknown[]): unknown {
    const calls = tracer();
    if (calls !== undefined) return trace(calls, 'traceSync', guarded, internals, this, args);
    // As on the async path: a call under an enclosing call (a retry, a timeout, a circuit with a
    // signal) that was cancelled already is not run. One read of a module variable while none is.
    if (outerSignal()?.aborted) notRun(internals, outerSignal()!);
    const token = admit(machine, internals.now);
    if (token === REJECTED) return refused(internals, fallback, this, args);
    const start = callStart(internals);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      return failed(internals, token, error, start, fallback, this, args);
    }
    // typeof first: a primitive result, the common case, skips the prototype walk of instanceof.
    if (typeof result === 'object' && result instanceof Promise) refusePromise(machine, token, result, fn);
    // Other thenables (lazy query builders that run on then()) are values: they are returned as they are.
    recordValue(internals, token, result, start);
    return result;
  };
  if (signal === undefined) return guarded;
  const withSignal = function (this: unknown, ...args: unknown[]): unknown {
    const calls = tracer();
    if (calls !== undefined) return trace(calls, 'traceSync', withSignal, internals, this, args);
    const own = pickSignal(signal, this, args);
    if (own?.aborted) notRun(internals, own);
    // Traced above if anyone listens: the plain path must not trace this call again.
    enterTraced();
    return guarded.apply(this, args);
  };
  return withSignal;
}

/** A call whose caller's signal aborted before it came: not run, not admitted, counted as aborted. */
function notRun(internals: BreakerInternals, signal: AbortSignal): never {
  recordAborted(internals, undefined, signal.reason, Number.NaN);
  throw signal.reason;
}

function refused(internals: BreakerInternals, fallback: Fallback | undefined, self: unknown, args: unknown[]): unknown {
  const error = rejection(internals);
  if (fallback === undefined) throw error;
  noteFallback(internals, error);
  return runFallback(fallback, self, error, args);
}

function failed(
  internals: BreakerInternals,
  token: number,
  error: unknown,
  start: number,
  fallback: Fallback | undefined,
  self: unknown,
  args: unknown[],
): unknown {
  if (!servedByFallback(internals, token, error, start, fallback)) throw error;
  noteFallback(internals, error);
  return runFallback(fallback, self, error, args);
}

function refusePromise(machine: Machine, token: number, promise: Promise<unknown>, fn: Function): never {
  // A promise is not an outcome yet: counting it a success would keep the circuit closed
  // forever, and a failure would open it and hide this TypeError behind CircuitOpenError.
  release(machine, token);
  promise.then(undefined, () => undefined);
  throw new TypeError(
    `circuitSync: ${fn.name ? `"${fn.name}"` : 'the function'} returned a Promise, whose outcome a synchronous breaker cannot wait for; it was counted neither as a success nor as a failure. Use circuit`,
  );
}
