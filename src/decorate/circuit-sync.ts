import type { CircuitBreaker } from '../breaker/breaker.js';
import { syncCallsThrough } from '../breaker/sync-path.js';
import type { CircuitDecoratorOptions, CircuitOptions } from './circuit-options.js';
import type { AnyFunction } from './engine.js';
import { decoratorEngine } from './engine.js';
import { circuitStrategy } from './method-breakers.js';

/** A function guarded by `circuitSync`: the original's signature, and the breaker behind it. */
export type CircuitSyncGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => R) & {
  /** The breaker guarding this function. */
  readonly breaker: CircuitBreaker;
};

/** The decorator `@circuitSync(...)` returns, for either decorator standard. */
export interface SyncMethodDecorator {
  /** Applied as a standard decorator. */
  <This, A extends any[], R>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ): (this: This, ...args: A) => R;
  /**
   * Applied as an `experimentalDecorators` decorator.
   * @typeParam M - The decorated method's type, kept as it is.
   */
  <M extends (...args: any[]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M>;
}

/** Guards a synchronous method (standard decorators), default options. */
export function circuitSync<This, A extends any[], R>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
): (this: This, ...args: A) => R;
/**
 * Guards a synchronous method (`experimentalDecorators`), default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function circuitSync<M extends (...args: any[]) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
): TypedPropertyDescriptor<M>;
/**
 * Guards a synchronous `fn` and keeps it synchronous: it returns the value (or the fallback's)
 * or throws, {@link CircuitOpenError} included. For functions that return promises use `circuit`.
 *
 * @example
 * ```ts
 * const parse = circuitSync((raw: string) => JSON.parse(raw) as User, { expectedError: SyntaxError });
 * ```
 * @typeParam Fn - The guarded function's type, whose parameters, `this` and result the guard keeps.
 * @typeParam F - What the fallback returns, added to the result type.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function circuitSync<Fn extends (...args: any[]) => unknown, F = never>(
  fn: Fn,
  options?: Omit<CircuitOptions<Parameters<Fn>, F, ReturnType<Fn>>, 'timeout'> | CircuitBreaker,
): CircuitSyncGuarded<ThisParameterType<Fn>, Parameters<Fn>, ReturnType<Fn> | F>;
/** A decorator for synchronous methods: `@circuitSync()`, `@circuitSync(options)` or `@circuitSync(breaker)`. */
export function circuitSync(options?: Omit<CircuitDecoratorOptions, 'timeout'> | CircuitBreaker): SyncMethodDecorator;
export function circuitSync(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ decoratorEngine(circuitStrategy('circuitSync', syncCallsThrough, false, refuseAsync));

// An async function's promise would be counted as a success the moment it is returned, so the
// breaker would never open: refused when it is wrapped, before it can mislead anyone.
function refuseAsync(fn: AnyFunction, name: string): void {
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') {
    throw new TypeError(`circuitSync cannot guard the async function "${name}": it would count every promise as a success. Use circuit`);
  }
}
