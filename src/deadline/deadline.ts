import { TimeoutError } from '../breaker/errors.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { callWithSignal, linkedController, outerSignal, pickSignal } from '../breaker/call-signal.js';

/** How a deadline treats its caller's cancellation. */
export interface DeadlineOptions {
  /** The wrapper's own `signal` option, if any; an enclosing call's signal always applies. */
  readonly signal?: SignalOption | undefined;
  /**
   * True for the `timeout` wrapper: the caller is let go the moment its signal aborts. False
   * inside a breaker, which lets the caller go itself and needs the deadline to keep judging
   * the call until it settles or times out.
   */
  readonly releaseCaller: boolean;
}

/**
 * Wraps `fn` so that a call taking longer than `ms` rejects with {@link TimeoutError}. Each call
 * gets its own `AbortSignal` (read it with `callSignal()`), aborted with that error when time is
 * up, or with the reason of the caller's signal, so cancellable work such as `fetch` really
 * stops. Its timer is cleared the moment the call settles.
 */
export function withDeadline<A extends unknown[], R>(
  fn: (...args: A) => R,
  ms: number,
  name: string,
  options: DeadlineOptions = { releaseCaller: false },
): (...args: A) => Promise<Awaited<R>> {
  const { signal: option, releaseCaller } = options;
  return function timed(this: unknown, ...args: A): Promise<Awaited<R>> {
    let own: AbortSignal | undefined;
    try {
      own = option === undefined ? undefined : pickSignal(option, this, args);
    } catch (error) {
      return Promise.reject(error);
    }
    const { controller, unlink } = linkedController([outerSignal(), own]);
    const signal = controller.signal;
    return new Promise<Awaited<R>>((resolve, reject) => {
      if (releaseCaller && signal.aborted) {
        unlink();
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        const error = new TimeoutError(name ? `call to "${name}"` : 'call to an anonymous function', ms);
        controller.abort(error);
        reject(error);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        unlink();
      };
      if (releaseCaller) {
        signal.addEventListener('abort', () => {
          done();
          reject(signal.reason);
        });
      }
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
