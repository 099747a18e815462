import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordError, recordValue, rejection } from './outcomes.js';
import { admit, REJECTED, release } from '../machine/machine.js';
import type { Fallback } from './fallback.js';
import { runFallback } from './fallback.js';

/**
 * Wraps a synchronous `fn` so that each call goes through the breaker and stays synchronous: it
 * returns the value or throws, {@link CircuitOpenError} included. A native `Promise` returned by
 * `fn` is a misuse (`circuit` is for those): the caller gets a `TypeError`, the promise's rejection
 * is handled, and the call counts neither way.
 */
export function syncCallsThrough(
  breaker: object,
  fn: (...args: unknown[]) => unknown,
  fallback: Fallback | undefined,
): (...args: unknown[]) => unknown {
  const core = internalsOf(breaker);
  const machine = core.machine;
  return function guarded(this: unknown, ...args: unknown[]): unknown {
    const token = admit(machine, core.now);
    if (token === REJECTED) {
      const error = rejection(core);
      if (fallback === undefined) throw error;
      noteFallback(core, error);
      return runFallback(fallback, this, error, args);
    }
    const start = callStart(core);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      if (recordError(core, token, error, start) && fallback !== undefined) {
        noteFallback(core, error);
        return runFallback(fallback, this, error, args);
      }
      throw error;
    }
    // typeof first: a primitive result, the common case, skips the prototype walk of instanceof.
    if (typeof result === 'object' && result instanceof Promise) {
      // A promise is not an outcome yet: counting it a success would keep the circuit closed
      // forever, and a failure would open it and hide this TypeError behind CircuitOpenError.
      release(machine, token);
      result.then(undefined, () => undefined);
      throw new TypeError(
        `circuitSync: ${fn.name ? `"${fn.name}"` : 'the function'} returned a Promise, whose outcome a synchronous breaker cannot wait for; it was counted neither as a success nor as a failure. Use circuit`,
      );
    }
    // Other thenables (lazy query builders that run on then()) are values: they are returned as they are.
    recordValue(core, token, result, start);
    return result;
  };
}
