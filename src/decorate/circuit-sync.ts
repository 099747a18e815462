import type { CircuitBreaker } from '../breaker/breaker.js';
import { syncCallsThrough } from '../breaker/sync-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
import type { DecoratorMisuse, FallbackFits, WithBreaker } from './circuit.js';
import type { AnyFunction } from './engine.js';
import { circuitEngine } from './method-breakers.js';

/** A function guarded by `circuitSync`: the original's signature, and the breaker behind it. */
export type CircuitSyncGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => R) & WithBreaker;

/**
 * What `circuitSync(fn, options)` returns: `fn`'s own type with the breaker, so a generic or
 * overloaded `fn` keeps its type parameters and every overload, unless `fn` has properties of
 * its own or a fallback widens its result; then {@link CircuitSyncGuarded}, built from `fn`'s
 * (last) signature.
 *
 * @typeParam Fn - the guarded function's type
 * @typeParam F - what the fallback returns
 */
export type CircuitSyncGuardedFunction<Fn extends (...args: any) => unknown, F = never> = [F] extends [never]
  ? [keyof Fn] extends [never]
    ? Fn & WithBreaker
    : CircuitSyncGuarded<ThisParameterType<Fn>, Parameters<Fn>, ReturnType<Fn>>
  : CircuitSyncGuarded<ThisParameterType<Fn>, Parameters<Fn>, ReturnType<Fn> | F>;

/**
 * `fn`'s type, accepted by `circuitSync` unless it may return a promise; then a compile error
 * naming the fix, as the decorator's. Other thenables (a lazy query builder) are values, as at run
 * time, and so are `never` (a function that always throws) and `any`.
 *
 * @typeParam Fn - the function given to `circuitSync`
 */
export type SyncFunction<Fn extends (...args: any) => unknown> = [ReturnType<Fn>] extends [never]
  ? Fn
  : 0 extends 1 & ReturnType<Fn>
    ? Fn
    : [Extract<ReturnType<Fn>, Promise<unknown>>] extends [never]
      ? Fn
      : DecoratorMisuse<'use circuit for a function that returns a promise'>;

/**
 * What `@circuitSync` makes of the method `M`: `Result` (the method itself, or its property
 * descriptor) when `M` does not return a promise and the fallback `FB` fits, a named compile
 * error otherwise.
 */
export type SyncDecorated<M, FB, Result = M> =
  M extends (...args: any) => infer R
    ? R extends PromiseLike<unknown>
      ? DecoratorMisuse<'use @circuit for a method that returns a promise'>
      : FallbackFits<M, FB, false> extends true
        ? Result
        : DecoratorMisuse<"the fallback must accept the method's arguments and return", R>
    : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;

/**
 * The decorator `@circuitSync(...)` returns, for either decorator standard.
 *
 * @typeParam FB - the options' fallback, checked against the method
 */
export interface SyncMethodDecorator<FB = undefined> {
  /**
   * Applied as a standard decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <This, M extends (this: This, ...args: any) => unknown>(method: M, context: ClassMethodDecoratorContext<This, M>): SyncDecorated<M, FB>;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): SyncDecorated<M, FB, TypedPropertyDescriptor<M>>;
  /** Applied to a getter, setter, field or accessor: a compile error. */
  (value: unknown, context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
}

// First, as `circuit`'s: a misspelt option is then the first error of `@circuitSync(options)`.
/**
 * A decorator for synchronous methods: `@circuitSync()`, `@circuitSync(options)` or
 * `@circuitSync(breaker)`. The fallback is checked against the method; annotate its parameters.
 * @typeParam FB - The fallback's type.
 */
export function circuitSync<FB extends ((error: unknown, ...args: any[]) => unknown) | undefined = undefined>(options?: (Omit<CircuitDecoratorOptions<FB>, 'timeout'> & { timeout?: undefined }) | CircuitBreaker): SyncMethodDecorator<FB>;
/**
 * Guards a synchronous `fn` and keeps it synchronous: it returns the value (or the fallback's)
 * or throws, {@link CircuitOpenError} included. For functions that return promises use `circuit`:
 * one is a compile error, an `async function` is refused when it is wrapped, and a returned
 * promise is a `TypeError`, never a success.
 * Other thenables (a lazy query builder) are values like any other.
 *
 * @example
 * ```ts
 * const parse = circuitSync((raw: string) => JSON.parse(raw) as User, { expectedError: SyntaxError });
 * ```
 * @typeParam Fn - The guarded function's type, whose parameters, `this` and result the guard keeps.
 * @typeParam F - What the fallback returns, added to the result type.
 * @throws TypeError or RangeError naming the option, when an option is invalid; TypeError for an async function.
 */
export function circuitSync<Fn extends (...args: any) => unknown, F = never>(
  fn: SyncFunction<Fn>,
  options?: (Omit<CircuitOptions<Parameters<Fn>, F, ReturnType<Fn>>, 'timeout'> & { timeout?: undefined } & { readonly addInitializer?: never }) | CircuitBreaker,
): CircuitSyncGuardedFunction<Fn, F>;
/**
 * Guards a synchronous method (standard decorators), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuitSync<This, M extends (this: This, ...args: any) => unknown>(method: M, context: ClassMethodDecoratorContext<This, M>): SyncDecorated<M, never>;
/**
 * Guards a synchronous method (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuitSync<M>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): SyncDecorated<M, never, TypedPropertyDescriptor<M>>;
/** `@circuitSync` on a getter, setter, field or accessor: a compile error, as it is at run time. */
export function circuitSync(
  value: unknown,
  context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext,
): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
export function circuitSync(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ circuitEngine('circuitSync', syncCallsThrough, false, refuseAsync);

// An async function's promise would be counted as a success the moment it is returned, so the
// breaker would never open: refused when it is wrapped, before it can mislead anyone.
function refuseAsync(fn: AnyFunction, name: string): void {
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') {
    throw new TypeError(`circuitSync cannot guard the async function "${name}": it would count every promise as a success. Use circuit`);
  }
}
