import type { AsyncMethodDecorator, DecoratorMisuse } from '../decorate/circuit.js';
import type { AnyFunction } from '../decorate/engine.js';
import { statelessEngine } from '../decorate/engine.js';
import { checkDuration, optionsObject } from '../check/check.js';
import { withDeadline } from '../deadline/deadline.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { callSignal, callWithSignal, checkSignalOption, linkedController, outerSignal, pickSignal, releasedOnAbort } from '../breaker/call-signal.js';

/**
 * Options of {@link timeout}, when more than the milliseconds are needed.
 *
 * @typeParam A - the wrapped function's parameters
 */
export interface TimeoutOptions<A extends unknown[] = any[]> {
  /** Milliseconds a call may take. */
  ms: number;
  /**
   * The caller's cancellation, as for `circuit` and `retry`: an `AbortSignal`, or a function of
   * the call's arguments that picks one. When it aborts, the call rejects at once with its reason
   * and `callSignal()` aborts inside the function; a call whose signal aborted already is not run.
   */
  signal?: SignalOption<A> | undefined;
}

interface TimeoutPlan {
  readonly ms: number;
  readonly signal: SignalOption | undefined;
}

function plan(options: unknown): TimeoutPlan {
  if (typeof options !== 'object' || options === null) return { ms: checkDuration(options, 'timeout', { timer: true }), signal: undefined };
  const o = optionsObject(options, 'timeout', ['ms', 'signal']);
  return { ms: checkDuration(o.ms, 'ms', { timer: true }), signal: checkSignalOption(o.signal) };
}

function withTimeout(fn: AnyFunction, p: TimeoutPlan, name: string): AnyFunction {
  // Inside the deadline, the call races its own signal, which aborts with the caller's reason
  // as with the TimeoutError: the caller is let go at once, and the timer is cleared with it.
  const timed = withDeadline(function (this: unknown, ...args: unknown[]) {
    const signal = callSignal();
    return releasedOnAbort(Promise.resolve(fn.apply(this, args)), signal);
  }, p.ms, name);
  const option = p.signal;
  return function (this: unknown, ...args: unknown[]): Promise<unknown> {
    let own: AbortSignal | undefined;
    try {
      own = option === undefined ? undefined : pickSignal(option, this, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (own === undefined) return timed.apply(this, args);
    const { controller, unlink } = linkedController([outerSignal(), own]);
    const signal = controller.signal;
    if (signal.aborted) {
      unlink();
      return Promise.reject(signal.reason);
    }
    const call = callWithSignal(signal, () => timed.apply(this, args));
    call.then(unlink, unlink);
    return call;
  };
}

// First among the overloads, as `circuit`'s: a wrong `ms` is then the first error of `@timeout(ms)`.
/** A decorator for async methods: `@timeout(2_000)` or `@timeout({ ms: 2_000, signal })`. */
export function timeout(ms: number | TimeoutOptions): AsyncMethodDecorator<never, DecoratorMisuse<'retry and timeout decorate methods that return a promise'>>;
/**
 * A call to `fn` that takes longer than `ms` rejects with {@link TimeoutError}; the function can
 * read its own `AbortSignal` with `callSignal()` to stop the work too. The result keeps `fn`'s
 * parameters and `this`. Pass `{ ms, signal }` to let the caller cancel a call as well.
 *
 * @example
 * ```ts
 * const getUser = timeout(async (id: string) => {
 *   const signal = callSignal(); // before the first await
 *   return (await fetch(`https://users.internal/${id}`, { signal })).json();
 * }, 2_000);
 * ```
 * @typeParam T - `fn`'s `this`.
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - what `fn` returns.
 * @throws TypeError or RangeError when `ms` is not a positive finite number, or an option is invalid.
 */
export function timeout<T, A extends unknown[], R>(fn: (this: T, ...args: A) => R, ms: number | TimeoutOptions<A>): (this: T, ...args: A) => Promise<Awaited<R>>;
export function timeout(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ statelessEngine('timeout', plan, withTimeout);
