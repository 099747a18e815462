import { internalsOf } from './internals.js';
import { callStart, noteFallback, recordError, recordValue, rejection } from './outcomes.js';
import { admit, REJECTED } from '../machine/machine.js';
import type { Fallback } from './fallback.js';
import { runFallback } from './fallback.js';

/**
 * Wraps a synchronous `fn` so that each call goes through the breaker and stays synchronous: it
 * returns the value or throws, {@link CircuitOpenError} included.
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
    recordValue(core, token, result, start);
    return result;
  };
}
