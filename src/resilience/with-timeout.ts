import { invalid } from '../core/invalid-option.js';
import { callWithSignal, linkedController, outerSignal } from './call-signal.js';

/**
 * The error of a call that took longer than its `timeout`. Its name is `'TimeoutError'`, as
 * `AbortSignal.timeout()` makes, so a breaker counts it among `timeouts`.
 */
export class TimeoutError extends Error {
  /** The time allowed, in ms. */
  readonly timeout: number;

  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.timeout = ms;
  }
}

Object.defineProperty(TimeoutError.prototype, 'name', { value: 'TimeoutError', writable: true, configurable: true });

/** Checks a timeout in milliseconds. */
export function checkTimeout(ms: unknown, option = 'timeout'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    invalid(typeof ms === 'number' ? RangeError : TypeError, option, 'a positive finite number of milliseconds', ms);
  }
  return ms;
}

/**
 * Wraps `fn` so that a call taking longer than `ms` rejects with {@link TimeoutError}. Each call
 * gets its own `AbortSignal` (read it with `callSignal()`), aborted with that error when time is
 * up, so cancellable work such as `fetch` really stops. Its timer is cleared the moment the call
 * settles.
 */
export function withTimeout<A extends unknown[], R>(
  fn: (...args: A) => R,
  ms: number,
  name: string,
): (...args: A) => Promise<Awaited<R>> {
  return function timed(this: unknown, ...args: A): Promise<Awaited<R>> {
    const { controller, unlink } = linkedController([outerSignal()]);
    const signal = controller.signal;
    return new Promise<Awaited<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new TimeoutError(name ? `call to "${name}"` : 'call to an anonymous function', ms);
        controller.abort(error);
        reject(error);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        unlink();
      };
      let result: R;
      try {
        result = callWithSignal(signal, () => fn.apply(this, args));
      } catch (error) {
        done();
        reject(error);
        return;
      }
      Promise.resolve(result).then(
        (value) => {
          done();
          resolve(value as Awaited<R>);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  };
}
