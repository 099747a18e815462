import { describeValue } from '../check/check.js';
import type { AnyFunction } from './engine.js';
import { decoratorEngine, keyLabel } from './engine.js';
import { findOwnerName } from './method-breakers.js';
import { carryStates } from './state-lookup.js';

// The engine of a wrapper that keeps state (a bulkhead's permits and queue): one state for a
// function, and for a method one per class or one per instance, as circuits have breakers.

/** What a stateful wrapper's checked options must say: one state per class, or per instance. */
export interface StatePlan {
  readonly scope: 'class' | 'instance';
  /** The state's name when the options give one; otherwise the function's, or `Class.method`. */
  readonly name: string | undefined;
}

/**
 * What a stateful wrapper adds to the decorator engine.
 *
 * @typeParam P - its checked options
 * @typeParam S - its state
 */
export interface StatefulStrategy<P extends StatePlan, S> {
  /** The wrapper's public name, for messages and for finding its state again. */
  readonly api: string;
  readonly plan: (options: unknown, forDecorator: boolean) => P;
  /** Makes a state, named after what it guards. */
  readonly create: (plan: P, name: string) => S;
  /** Wraps `fn` so that its calls go through `state`. */
  readonly wrap: (fn: AnyFunction, state: S, plan: P) => AnyFunction;
  /** The property a wrapped function shows its state under (`guarded.bulkhead`). */
  readonly property: string;
}

/**
 * The entry of a stateful wrapper: `api(fn, options)`, `@api(options)` under either decorator
 * standard, with a state per function, per class or per instance. One call, so that one pure
 * annotation at the call site lets bundlers drop an unused wrapper whole.
 */
export function statefulEngine<P extends StatePlan, S>(strategy: StatefulStrategy<P, S>): (...params: unknown[]) => unknown {
  const { api, create, wrap, property } = strategy;
  return decoratorEngine<P>({
    api,
    plan: strategy.plan,
    wrapFunction(fn, plan) {
      const state = create(plan, plan.name ?? (fn.name || 'anonymous'));
      const wrapped = wrap(fn, state, plan);
      Object.defineProperty(wrapped, property, { value: state, enumerable: true });
      carryStates(wrapped, fn, { [api]: () => state });
      return wrapped;
    },
    wrapMethod(original, plan, key, ownerName) {
      const label = keyLabel(key);
      const bind = (self: unknown): AnyFunction => {
        const owner = ownerName ?? findOwnerName(self, method, key) ?? 'anonymous';
        const state = create(plan, plan.name ?? `${owner}.${label}`);
        return Object.defineProperty(wrap(original, state, plan), property, { value: state });
      };
      let boundTo: (self: unknown) => AnyFunction;
      if (plan.scope === 'instance') {
        const perInstance = new WeakMap<object, AnyFunction>();
        boundTo = (self) => {
          if ((typeof self !== 'object' && typeof self !== 'function') || self === null) {
            throw new TypeError(`${label} has an instance-scoped ${api} and was called without an instance (this is ${describeValue(self)})`);
          }
          let bound = perInstance.get(self);
          if (bound === undefined) perInstance.set(self, (bound = bind(self)));
          return bound;
        };
      } else {
        // Made at the first call (or look-up), when standard decorators let the class be known.
        let shared: AnyFunction | undefined;
        boundTo = (self) => (shared ??= bind(self));
      }
      function method(this: unknown, ...args: unknown[]): unknown {
        let bound: AnyFunction;
        try {
          bound = boundTo(this);
        } catch (error) {
          return Promise.reject(error);
        }
        return bound.apply(this, args);
      }
      carryStates(method, original, { [api]: (self) => (boundTo(self) as unknown as Record<string, unknown>)[property] });
      return method;
    },
  });
}
