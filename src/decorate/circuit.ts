import type { CircuitBreaker } from '../breaker/breaker.js';
import { callsThrough } from '../breaker/async-path.js';
import type { AnyFallback, CircuitDecoratorOptions, CircuitOptions, NotDecoratorContext } from './circuit-options.js';
import type { CallPath } from './method-breakers.js';
import { circuitEngine } from './method-breakers.js';

/**
 * A function guarded by `circuit`: the original's parameters and `this`, a promise of its result
 * (or of the fallback's), and the breaker behind it.
 */
export type CircuitGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => Promise<R>) & {
  /** The breaker guarding this function. */
  readonly breaker: CircuitBreaker;
};

/**
 * The compile error of `@circuit` on a method that does not return a promise: its first line
 * names this type. Such a method is guarded by `@circuitSync`.
 */
export interface UseCircuitSyncForSynchronousMethods {
  /** Never present: only the type's name matters, in the compiler's message. */
  readonly 'use @circuitSync for a method that does not return a promise': never;
}

/**
 * The compile error of a circuit decorator on a getter, setter, field or accessor: its first line
 * names this type. A breaker guards calls, so only methods can be decorated.
 */
export interface CircuitDecoratesMethodsOnly {
  /** Never present: only the type's name matters, in the compiler's message. */
  readonly 'a circuit decorator guards methods, not getters, setters or fields': never;
}

/**
 * The compile error of a decorator whose `fallback` does not fit the method: it must accept the
 * method's arguments (after the error) and return what the method returns (or resolves to).
 *
 * @typeParam Expected - what the fallback should return
 */
export interface FallbackDoesNotFitTheMethod<Expected> {
  /** Never present: only the type's name and `Expected` matter, in the compiler's message. */
  readonly 'the fallback must accept the method\'s arguments and return': Expected;
}

/**
 * The compile error of `@retry` or `@timeout` on a method that does not return a promise: they
 * make a method asynchronous, which a synchronous method's callers would not expect.
 */
export interface RetryAndTimeoutDecorateAsyncMethods {
  /** Never present: only the type's name matters, in the compiler's message. */
  readonly 'retry and timeout decorate methods that return a promise': never;
}

/**
 * What `@circuit` makes of a method returning `R`: the method itself when `R` is a promise and
 * the fallback `FB` fits, a named compile error otherwise.
 */
export type AsyncDecorated<M, A extends unknown[], R, FB, SyncError = UseCircuitSyncForSynchronousMethods> =
  R extends PromiseLike<unknown>
    ? [FB] extends [undefined]
      ? M
      : FB extends (error: any, ...args: A) => infer FR
        ? [Awaited<FR>] extends [Awaited<R>]
          ? M
          : FallbackDoesNotFitTheMethod<Awaited<R>>
        : FallbackDoesNotFitTheMethod<Awaited<R>>
    : SyncError;

/**
 * The decorator `@circuit(...)` returns. It fits TypeScript's standard decorators and
 * `experimentalDecorators` alike, and only methods that return a promise.
 *
 * @typeParam FB - the options' fallback, checked against the method
 * @typeParam SyncError - the compile error of a method that does not return a promise
 */
export interface AsyncMethodDecorator<FB = never, SyncError = UseCircuitSyncForSynchronousMethods> {
  /** Applied as a standard decorator. */
  <This, A extends any[], R>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ): AsyncDecorated<(this: This, ...args: A) => R, A, R, FB, SyncError>;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): M extends (...args: infer A) => infer R ? AsyncDecorated<TypedPropertyDescriptor<M>, A, R, FB, SyncError> : CircuitDecoratesMethodsOnly;
  /** Applied to a getter, setter, field or accessor: a compile error. */
  (value: unknown, context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext): CircuitDecoratesMethodsOnly;
}

/**
 * Guards `fn` with a circuit breaker: a new one made from `options`, or a shared one. The result
 * has `fn`'s parameters and `this` and always
 * returns a promise: a synchronous throw, a rejection and a refused call ({@link CircuitOpenError})
 * all arrive as rejections.
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
  options?: (CircuitOptions<Parameters<Fn>, F, Awaited<ReturnType<Fn>>> & NotDecoratorContext) | CircuitBreaker,
): CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>> | Awaited<F>>;
/**
 * A decorator for async methods: `@circuit()`, `@circuit(options)` or `@circuit(breaker)`. The
 * fallback is checked against the method it decorates; annotate its parameters, which TypeScript
 * cannot infer from the method.
 *
 * @example
 * ```ts
 * class UsersClient {
 *   @circuit({ failureThreshold: 3 }) async get(id: string) { ... }
 * }
 * ```
 * @typeParam FB - The fallback's type.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function circuit<FB extends AnyFallback | undefined = undefined>(options?: CircuitDecoratorOptions<FB> | CircuitBreaker): AsyncMethodDecorator<FB>;
/**
 * Guards an async method with a circuit breaker (standard decorators): `@circuit` with no
 * arguments uses the default options, one breaker for every instance.
 */
export function circuit<This, A extends any[], R>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
): AsyncDecorated<(this: This, ...args: A) => R, A, R, never>;
/**
 * Guards an async method with a circuit breaker (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuit<M>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
): M extends (...args: infer A) => infer R ? AsyncDecorated<TypedPropertyDescriptor<M>, A, R, never> : CircuitDecoratesMethodsOnly;
/** `@circuit` on a getter, setter, field or accessor: a compile error, as it is at run time. */
export function circuit(
  value: unknown,
  context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext,
): CircuitDecoratesMethodsOnly;
export function circuit(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ circuitEngine('circuit', callsThrough as CallPath, true);
