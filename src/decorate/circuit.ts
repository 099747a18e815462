import type { CircuitBreaker } from '../breaker/breaker.js';
import { callsThrough } from '../breaker/async-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
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
 * A decorator applied where it does not fit, as a type: the compiler's message names it, and
 * `Fix` says what to do, so the first line of the error reads like
 * `'DecoratorMisuse<"use @circuitSync for a method that does not return a promise">' is not
 * assignable...`. Nothing ever has this type.
 *
 * @typeParam Fix - what to do instead
 * @typeParam Expected - when the fix concerns a type (a fallback's result), that type
 */
export interface DecoratorMisuse<Fix extends string, Expected = never> {
  /** Never present: only the type's arguments matter, in the compiler's message. */
  readonly fix: Fix;
  /** Never present. */
  readonly expected: Expected;
}

/**
 * What `@circuit` makes of a method returning `R`: the method itself when `R` is a promise and
 * the fallback `FB` fits, a named compile error otherwise.
 */
export type AsyncDecorated<M, A extends unknown[], R, FB, SyncError = DecoratorMisuse<'use @circuitSync for a method that does not return a promise'>> =
  R extends PromiseLike<unknown>
    ? [FB] extends [undefined]
      ? M
      : FB extends (error: any, ...args: A) => infer FR
        ? [Awaited<FR>] extends [Awaited<R>]
          ? M
          : DecoratorMisuse<"the fallback must accept the method's arguments and return", Awaited<R>>
        : DecoratorMisuse<"the fallback must accept the method's arguments and return", Awaited<R>>
    : SyncError;

/**
 * The decorator `@circuit(...)` returns. It fits TypeScript's standard decorators and
 * `experimentalDecorators` alike, and only methods that return a promise.
 *
 * @typeParam FB - the options' fallback, checked against the method
 * @typeParam SyncError - the compile error of a method that does not return a promise
 */
export interface AsyncMethodDecorator<FB = never, SyncError = DecoratorMisuse<'use @circuitSync for a method that does not return a promise'>> {
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
  ): M extends (...args: infer A) => infer R ? AsyncDecorated<TypedPropertyDescriptor<M>, A, R, FB, SyncError> : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
  /** Applied to a getter, setter, field or accessor: a compile error. */
  (value: unknown, context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
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
  options?: (CircuitOptions<Parameters<Fn>, F, Awaited<ReturnType<Fn>>> & { readonly addInitializer?: never }) | CircuitBreaker,
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
export function circuit<FB extends ((error: unknown, ...args: any[]) => unknown) | undefined = undefined>(options?: CircuitDecoratorOptions<FB> | CircuitBreaker): AsyncMethodDecorator<FB>;
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
): M extends (...args: infer A) => infer R ? AsyncDecorated<TypedPropertyDescriptor<M>, A, R, never> : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
/** `@circuit` on a getter, setter, field or accessor: a compile error, as it is at run time. */
export function circuit(
  value: unknown,
  context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext,
): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
export function circuit(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ circuitEngine('circuit', callsThrough as CallPath, true);
