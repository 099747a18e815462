import { TimeoutError } from '../breaker/errors.js';
import { callWithSignal, linkedController, outerSignal } from '../breaker/call-signal.js';

/**
 * Wraps `fn` so that a call taking longer than `ms` rejects with {@link TimeoutError}. Each call
 * gets its own `AbortSignal` (read it with `callSignal()`), aborted with that error when time is
 * up, so cancellable work such as `fetch` really stops. Its timer is cleared the moment the call
 * settles.
 */
export function withDeadline<A extends unknown[], R>(
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
