import { describeValue } from '../check/check.js';
import { describeKey, isDecoratorContext, isLegacyDecoratorCall } from './decorator-call.js';
import { keepIdentity } from './function-identity.js';
import { carryStates } from './state-lookup.js';

/** Any function a wrapper takes or makes; the public signatures say more. */
export type AnyFunction = (...args: any[]) => any;

/**
 * What one wrapper (`circuit`, `circuitSync`, `retry`, `timeout`, a future bulkhead) adds to the
 * engine: how it reads its options and how it wraps one function. The engine does the rest:
 * telling a decorator call from a plain call under both decorator standards, refusing what is
 * not a method, and making the result look like the original.
 *
 * @typeParam P - the options as the wrapper keeps them, checked once, when it is applied
 */
export interface WrapStrategy<P> {
  /** The wrapper's public name, for messages: `@circuit can only decorate methods...`. */
  readonly api: string;
  /**
   * Checks the options (`undefined` for the bare decorator) when the wrapper is applied; a
   * decorator's options are checked before any method is seen, so errors show at class definition.
   */
  readonly plan: (options: unknown, forDecorator: boolean) => P;
  /** Wraps a plain function: `api(fn, options)`. */
  readonly wrapFunction: (fn: AnyFunction, plan: P) => AnyFunction;
  /**
   * Wraps a method once, when its class is defined. `owner` is the class's name when the
   * decorator standard says it (`experimentalDecorators`); standard decorators do not, but give
   * `onInstance`, which runs a function with each new instance (or, for a static method, the
   * class) as soon as it exists.
   */
  readonly wrapMethod: (
    method: AnyFunction,
    plan: P,
    key: string | symbol,
    owner: string | undefined,
    onInstance?: (run: (self: unknown) => void) => void,
  ) => AnyFunction;
}

/**
 * The whole public entry of a wrapper at run time: `api(fn, options)` wraps a function, a bare
 * `@api` decorates a method under either decorator standard, and `api(options)` returns a
 * decorator for `@api(options)`.
 */
export function decoratorEngine<P>(strategy: WrapStrategy<P>): (...params: unknown[]) => unknown {
  const { api, plan } = strategy;
  function decorate(p: P, target: unknown, key: unknown, descriptor: unknown): unknown {
    if (isDecoratorContext(key)) {
      if (key.kind !== 'method' || typeof target !== 'function') {
        throw new TypeError(`@${api} can only decorate methods, not the ${key.kind} ${describeKey(key.name ?? '(anonymous)')}`);
      }
      const context = key;
      return wrapMethod(p, target as AnyFunction, key.name, undefined, (run) =>
        context.addInitializer(function (this: unknown) {
          run(this);
        }),
      );
    }
    if (isLegacyDecoratorCall(target, key)) {
      const d = descriptor as PropertyDescriptor | undefined;
      if (typeof d !== 'object' || d === null || typeof d.value !== 'function') {
        const what = d === undefined ? 'field' : typeof d?.get === 'function' || typeof d?.set === 'function' ? 'accessor' : 'property';
        throw new TypeError(`@${api} can only decorate methods, not the ${what} ${describeKey(key)}`);
      }
      const owner = typeof target === 'function' ? target.name : (target as { constructor?: Function }).constructor?.name;
      d.value = wrapMethod(p, d.value as AnyFunction, key, owner);
      return d;
    }
    throw new TypeError(`@${api}(...) must decorate a method, got ${describeValue(target)}`);
  }
  function wrapMethod(
    p: P,
    method: AnyFunction,
    key: string | symbol,
    owner: string | undefined,
    onInstance?: (run: (self: unknown) => void) => void,
  ): AnyFunction {
    const wrapped = strategy.wrapMethod(method, p, key, owner, onInstance);
    keepIdentity(wrapped, method);
    return wrapped;
  }
  return function entry(first?: unknown, second?: unknown, third?: unknown): unknown {
    if (isDecoratorContext(second) || isLegacyDecoratorCall(first, second)) return decorate(plan(undefined, true), first, second, third);
    if (typeof first === 'function') {
      const wrapped = strategy.wrapFunction(first as AnyFunction, plan(second, false));
      keepIdentity(wrapped, first);
      return wrapped;
    }
    const p = plan(first, true);
    return (target: unknown, key: unknown, descriptor?: unknown) => decorate(p, target, key, descriptor);
  };
}

/** A member key as a name: a string as it is, a symbol by its description. */
export function keyLabel(key: string | symbol): string {
  return typeof key === 'symbol' ? (key.description ?? 'symbol') : key;
}

/**
 * The engine of a wrapper that keeps no state per class or instance (`retry`, `timeout`): a
 * method is wrapped like a function, named `Class.method` when the class is known. One call, so
 * that one pure annotation at the call site lets bundlers drop an unused wrapper whole.
 */
export function statelessEngine<P>(
  api: string,
  plan: (options: unknown) => P,
  wrap: (fn: AnyFunction, plan: P, name: string) => AnyFunction,
): (...params: unknown[]) => unknown {
  // Carrying the states of wrappers beneath (a bulkhead's) lets `bulkheadOf` see through this one.
  const carried = (wrapped: AnyFunction, original: AnyFunction): AnyFunction => {
    carryStates(wrapped, original);
    return wrapped;
  };
  return decoratorEngine({
    api,
    plan,
    wrapFunction: (fn, p) => carried(wrap(fn, p, fn.name), fn),
    wrapMethod: (method, p, key, owner) => carried(wrap(method, p, owner === undefined ? keyLabel(key) : `${owner}.${keyLabel(key)}`), method),
  });
}
