import type { CircuitBreaker } from '../breaker/breaker.js';
import { syncCallsThrough } from '../breaker/sync-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
import type { DecoratorMisuse } from './circuit.js';
import type { AnyFunction } from './engine.js';
import { circuitEngine } from './method-breakers.js';

/** A function guarded by `circuitSync`: the original's signature, and the breaker behind it. */
export type CircuitSyncGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => R) & {
  /** The breaker guarding this function. */
  readonly breaker: CircuitBreaker;
};

/**
 * What `@circuitSync` makes of a method returning `R`: the method itself when `R` is not a
 * promise and the fallback `FB` fits, a named compile error otherwise.
 */
export type SyncDecorated<M, A extends unknown[], R, FB> =
  R extends PromiseLike<unknown>
    ? DecoratorMisuse<'use @circuit for a method that returns a promise'>
    : [FB] extends [undefined]
      ? M
      : FB extends (error: any, ...args: A) => infer FR
        ? [FR] extends [R]
          ? M
          : DecoratorMisuse<"the fallback must accept the method's arguments and return", R>
        : DecoratorMisuse<"the fallback must accept the method's arguments and return", R>;

/**
 * The decorator `@circuitSync(...)` returns, for either decorator standard.
 *
 * @typeParam FB - the options' fallback, checked against the method
 */
export interface SyncMethodDecorator<FB = undefined> {
  /** Applied as a standard decorator. */
  <This, A extends any[], R>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ): SyncDecorated<(this: This, ...args: A) => R, A, R, FB>;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): M extends (...args: infer A) => infer R ? SyncDecorated<TypedPropertyDescriptor<M>, A, R, FB> : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
  /** Applied to a getter, setter, field or accessor: a compile error. */
  (value: unknown, context: ClassGetterDecoratorContext | ClassSetterDecoratorContext | ClassFieldDecoratorContext | ClassAccessorDecoratorContext): DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
}

/**
 * Guards a synchronous `fn` and keeps it synchronous: it returns the value (or the fallback's)
 * or throws, {@link CircuitOpenError} included. For functions that return promises use `circuit`:
 * an `async function` is refused here, and a returned promise is a `TypeError`, never a success.
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
export function circuitSync<Fn extends (...args: any[]) => unknown, F = never>(
  fn: Fn,
  options?: (Omit<CircuitOptions<Parameters<Fn>, F, ReturnType<Fn>>, 'timeout'> & { timeout?: undefined } & { readonly addInitializer?: never }) | CircuitBreaker,
): CircuitSyncGuarded<ThisParameterType<Fn>, Parameters<Fn>, ReturnType<Fn> | F>;
/**
 * A decorator for synchronous methods: `@circuitSync()`, `@circuitSync(options)` or
 * `@circuitSync(breaker)`. The fallback is checked against the method; annotate its parameters.
 * @typeParam FB - The fallback's type.
 */
export function circuitSync<FB extends ((error: unknown, ...args: any[]) => unknown) | undefined = undefined>(options?: (Omit<CircuitDecoratorOptions<FB>, 'timeout'> & { timeout?: undefined }) | CircuitBreaker): SyncMethodDecorator<FB>;
/** Guards a synchronous method (standard decorators), default options. */
export function circuitSync<This, A extends any[], R>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
): SyncDecorated<(this: This, ...args: A) => R, A, R, never>;
/**
 * Guards a synchronous method (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuitSync<M>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
): M extends (...args: infer A) => infer R ? SyncDecorated<TypedPropertyDescriptor<M>, A, R, never> : DecoratorMisuse<'a circuit decorator guards methods, not getters, setters or fields'>;
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
