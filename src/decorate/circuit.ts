import type { CircuitBreaker } from '../breaker/breaker.js';
import { callsThrough } from '../breaker/async-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
import type { CallPath } from './method-breakers.js';
import { circuitEngine } from './method-breakers.js';

/** What `circuit` and `circuitSync` add to the function they guard. */
export interface WithBreaker {
  /** The breaker guarding this function. */
  readonly breaker: CircuitBreaker;
}

/**
 * A function guarded by `circuit`: the original's parameters and `this`, a promise of its result
 * (or of the fallback's), and the breaker behind it.
 */
export type CircuitGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => Promise<R>) & WithBreaker;

/**
 * What `circuit(fn, options)` returns. When `fn` already returns a promise, has no properties of
 * its own and no fallback widens its result, that is `fn`'s own type with the breaker, so a
 * generic or overloaded `fn` keeps its type parameters and every overload; otherwise
 * {@link CircuitGuarded}, built from `fn`'s (last) signature.
 *
 * @typeParam Fn - the guarded function's type
 * @typeParam F - what the fallback returns
 */
export type CircuitGuardedFunction<Fn extends (...args: any) => unknown, F = never> =
  // `fn`'s own type describes the guard soundly when every one of its signatures already returns
  // what the guard does (a promise), and there is nothing else to it: no property the guard would
  // not have, no fallback result to add. `any` is left out: the guard's `Promise<any>` says more.
  [F] extends [never]
    ? [keyof Fn] extends [never]
      ? 0 extends 1 & ReturnType<Fn>
        ? CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>>>
        : ReturnType<Fn> extends Promise<unknown>
          ? ((...args: any) => Promise<any>) extends Fn
            ? Fn & WithBreaker
            : CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>>>
          : CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>>>
      : CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>>>
    : CircuitGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>> | Awaited<F>>;

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
 * Whether a decorator's fallback fits the method: its parameters take the method's arguments, and
 * what it returns is something every signature of the method may return. Checked against the
 * method's own type, so a generic method's fallback must fit every instantiation (in practice:
 * it throws).
 *
 * @typeParam M - the decorated method's type
 * @typeParam FB - the fallback's type; `undefined` for none
 * @typeParam Resolve - true for `@circuit`, whose fallback may return a promise of the result
 */
export type FallbackFits<M, FB, Resolve extends boolean> = [FB] extends [undefined]
  ? true
  : M extends (...args: infer A) => unknown
    ? FB extends (error: any, ...args: A) => infer FR
      ? (Resolve extends true ? (...args: any) => Promise<Awaited<FR>> : (...args: any) => FR) extends M
        ? true
        : false
      : false
    : false;

/**
 * What `@circuit` makes of the method `M`: `Result` (the method itself, or its property
 * descriptor) when `M` returns a promise and the fallback `FB` fits, a named compile error
 * otherwise.
 */
export type AsyncDecorated<M, FB, SyncError = DecoratorMisuse<'use @circuitSync for a method that does not return a promise'>, Result = M> =
  M extends (...args: any) => infer R
    ? R extends PromiseLike<unknown>
      ? FallbackFits<M, FB, true> extends true
        ? Result
        : DecoratorMisuse<"the fallback must accept the method's arguments and return", Awaited<R>>
      : SyncError
    : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;

/**
 * The decorator `@circuit(...)` returns. It fits TypeScript's standard decorators and
 * `experimentalDecorators` alike, and only methods that return a promise, generic ones included.
 *
 * @typeParam FB - the options' fallback, checked against the method
 * @typeParam SyncError - the compile error of a method that does not return a promise
 */
export interface AsyncMethodDecorator<FB = never, SyncError = DecoratorMisuse<'use @circuitSync for a method that does not return a promise'>> {
  /**
   * Applied as a standard decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <This, M extends (this: This, ...args: any) => unknown>(method: M, context: ClassMethodDecoratorContext<This, M>): AsyncDecorated<M, FB, SyncError>;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): AsyncDecorated<M, FB, SyncError, TypedPropertyDescriptor<M>>;
  /** Applied to a getter, setter, field or accessor: a compile error. */
  (value: unknown, context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
}

// First among the overloads: where none matches `@circuit(options)`, TypeScript types the call
// with the first that takes one argument, and this one's result still fits the method, so the
// first error is the one about the options, not a misleading one about the decorator's result.
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
export function circuit<Fn extends (...args: any) => unknown, F = never>(
  fn: Fn,
  options?: (CircuitOptions<Parameters<Fn>, F, Awaited<ReturnType<Fn>>> & { readonly addInitializer?: never }) | CircuitBreaker,
): CircuitGuardedFunction<Fn, F>;
/**
 * Guards an async method with a circuit breaker (standard decorators): `@circuit` with no
 * arguments uses the default options, one breaker for every instance.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuit<This, M extends (this: This, ...args: any) => unknown>(method: M, context: ClassMethodDecoratorContext<This, M>): AsyncDecorated<M, never>;
/**
 * Guards an async method with a circuit breaker (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuit<M>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): AsyncDecorated<M, never, DecoratorMisuse<'use @circuitSync for a method that does not return a promise'>, TypedPropertyDescriptor<M>>;
/** `@circuit` on a getter, setter, field or accessor: a compile error, as it is at run time. */
export function circuit(
  value: unknown,
  context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext,
): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
export function circuit(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ circuitEngine('circuit', callsThrough as CallPath, true);
