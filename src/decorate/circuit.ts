import type { CircuitBreaker } from '../breaker/breaker.js';
import { callsThrough } from '../breaker/async-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
import { decoratorEngine } from './engine.js';
import type { CallPath } from './method-breakers.js';
import { circuitStrategy } from './method-breakers.js';

/**
 * A function guarded by `circuit`: the original's parameters and `this`, a promise of its result
 * (or of the fallback's), and the breaker behind it.
 */
export type CircuitGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => Promise<R>) & {
  /** The breaker guarding this function. */
  readonly breaker: CircuitBreaker;
};

/**
 * The decorator `@circuit(...)` returns. It fits TypeScript's standard decorators and
 * `experimentalDecorators` alike, and only methods that return a promise.
 */
export interface AsyncMethodDecorator {
  /** Applied as a standard decorator. */
  <This, A extends any[], R extends PromiseLike<unknown>>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ): (this: This, ...args: A) => R;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M extends (...args: any[]) => PromiseLike<unknown>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M>;
}

/**
 * Guards an async method with a circuit breaker (standard decorators): `@circuit` with no
 * arguments uses the default options, one breaker for every instance.
 */
export function circuit<This, A extends any[], R extends PromiseLike<unknown>>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
): (this: This, ...args: A) => R;
/**
 * Guards an async method with a circuit breaker (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuit<M extends (...args: any[]) => PromiseLike<unknown>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
): TypedPropertyDescriptor<M>;
/**
 * Guards `fn` with a circuit breaker: a new one made from `options`, or a shared one. The result
 * has `fn`'s parameters and `this` and always returns a promise: a synchronous throw, a rejection
 * and a refused call ({@link CircuitOpenError}) all arrive as rejections.
 *
 * @example
 * ```ts
 * const getUser = circuit(async (id: string) => api.get(id), { failureThreshold: 5 });
 * getUser.breaker.state; // 'closed'
 * ```
 * @typeParam Fn - The guarded function's type, whose parameters, `this` and result the guard keeps.
 * @typeParam F - What the fallback returns, added to the result type.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function circuit<Fn extends (...args: any[]) => unknown, F = never>(
  fn: Fn,
  options?: CircuitOptions<Parameters<Fn>, F, Awaited<ReturnType<Fn>>> | CircuitBreaker,
): CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>> | Awaited<F>>;
/**
 * A decorator for async methods: `@circuit()`, `@circuit(options)` or `@circuit(breaker)`.
 *
 * @example
 * ```ts
 * class UsersClient {
 *   @circuit({ failureThreshold: 3 }) async get(id: string) { ... }
 * }
 * ```
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function circuit(options?: CircuitDecoratorOptions | CircuitBreaker): AsyncMethodDecorator;
export function circuit(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ decoratorEngine(circuitStrategy('circuit', callsThrough as CallPath, true));
