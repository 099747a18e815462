import { describeValue } from '../check/check.js';

/** A guarded function's fallback: gets the error and the call's arguments, returns the result. */
export type Fallback<A extends unknown[] = any[], R = unknown> = (error: unknown, ...args: A) => R;

/**
 * Runs `fallback` for a call that failed with `error` and returns its value. What the fallback
 * throws (or rejects with) reaches the caller with `error` as its `cause`.
 */
export function runFallback(fallback: Fallback, self: unknown, error: unknown, args: unknown[]): unknown {
  let value: unknown;
  try {
    value = fallback.call(self, error, ...args);
  } catch (fallbackError) {
    throw withCause(fallbackError, error);
  }
  if (value instanceof Promise) {
    return value.catch((fallbackError: unknown) => {
      throw withCause(fallbackError, error);
    });
  }
  return value;
}

function withCause(fallbackError: unknown, original: unknown): unknown {
  // A fallback that rethrows the original, or that already chained a cause, is left as it is.
  if (fallbackError === original) return fallbackError;
  if (typeof fallbackError === 'object' && fallbackError !== null) {
    if (!Object.prototype.hasOwnProperty.call(fallbackError, 'cause') && Object.isExtensible(fallbackError)) {
      Object.defineProperty(fallbackError, 'cause', { value: original, writable: true, configurable: true });
    }
    return fallbackError;
  }
  // A thrown primitive cannot carry a cause, so it travels inside an Error that can.
  return new Error(`fallback threw ${describeValue(fallbackError)}`, { cause: original });
}
