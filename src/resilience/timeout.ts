import type { AsyncMethodDecorator, DecoratorMisuse } from '../decorate/circuit.js';
import { statelessEngine } from '../decorate/engine.js';
import { checkDuration } from '../check/check.js';
import { withDeadline } from '../deadline/deadline.js';

// First among the overloads, as `circuit`'s: a wrong `ms` is then the first error of `@timeout(ms)`.
/** A decorator for async methods: `@timeout(2_000)`. */
export function timeout(ms: number): AsyncMethodDecorator<never, DecoratorMisuse<'retry and timeout decorate methods that return a promise'>>;
/**
 * A call to `fn` that takes longer than `ms` rejects with {@link TimeoutError}; the function can
 * read its own `AbortSignal` with `callSignal()` to stop the work too. The result keeps `fn`'s
 * parameters and `this`.
 *
 * @example
 * ```ts
 * const getUser = timeout(async (id: string) => {
 *   const signal = callSignal(); // before the first await
 *   return (await fetch(`https://users.internal/${id}`, { signal })).json();
 * }, 2_000);
 * ```
 * @throws TypeError or RangeError when `ms` is not a positive finite number.
 */
export function timeout<T, A extends unknown[], R>(fn: (this: T, ...args: A) => R, ms: number): (this: T, ...args: A) => Promise<Awaited<R>>;
export function timeout(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ statelessEngine('timeout', (ms) => checkDuration(ms, 'timeout', { timer: true }), withDeadline);
