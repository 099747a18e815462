import type { CircuitBreaker } from '../breaker/breaker.js';
import { describeValue } from '../check/check.js';
import type { Fallback } from '../breaker/fallback.js';
import { resolveBreakerOptions } from '../breaker/options.js';
import { withDeadline } from '../deadline/deadline.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { withCallSignal } from '../breaker/call-signal.js';
import type { CircuitPlan } from './circuit-options.js';
import { breakerFor, parseCircuitOptions } from './circuit-options.js';
import type { AnyFunction, WrapStrategy } from './engine.js';
import { decoratorEngine, keyLabel } from './engine.js';
import { BREAKER_OF } from './function-identity.js';

/**
 * A breaker's call path: runs each call of `fn` through `breaker` (`callsThrough` or
 * `syncCallsThrough`), cancellable by the caller's `signal` when there is one.
 */
export type CallPath = (breaker: CircuitBreaker, fn: AnyFunction, fallback: Fallback | undefined, signal: SignalOption | undefined) => AnyFunction;

type BreakerLookup = (self: unknown) => CircuitBreaker;

/** The breaker behind a guarded function or method, given the instance a method is called on. */
export function lookupBreaker(fn: unknown, self: unknown): CircuitBreaker | undefined {
  const lookup = typeof fn === 'function' ? (fn as { [BREAKER_OF]?: BreakerLookup })[BREAKER_OF] : undefined;
  return lookup?.(self);
}

/**
 * The engine of `circuit` (`isAsync`) and `circuitSync`, with their strategy: a function gets a
 * breaker of its own (or the shared one); a method gets one per class or one per instance.
 * `refuse` turns away a function this kind cannot guard, when it is wrapped. One call, so that
 * one pure annotation at the call site lets bundlers drop an unused one whole.
 */
export function circuitEngine(
  api: 'circuit' | 'circuitSync',
  callPath: CallPath,
  isAsync: boolean,
  refuse?: (fn: AnyFunction, name: string) => void,
): (...params: unknown[]) => unknown {
  const strategy: WrapStrategy<CircuitPlan> = {
    api,
    plan: (options, forDecorator) => parseCircuitOptions(options, forDecorator, isAsync),
    wrapFunction(fn, plan) {
      refuse?.(fn, fn.name || 'anonymous');
      const breaker = breakerFor(plan, fn.name || 'anonymous');
      const guarded = callPath(breaker, timed(plan, fn, plan.breakerOptions.name ?? fn.name, isAsync), plan.fallback, plan.signal);
      Object.defineProperty(guarded, 'breaker', { value: breaker, enumerable: true });
      Object.defineProperty(guarded, BREAKER_OF, { value: () => breaker, configurable: true });
      return guarded;
    },
    wrapMethod(method, plan, key, owner, onInstance) {
      refuse?.(method, owner === undefined ? keyLabel(key) : `${owner}.${keyLabel(key)}`);
      return methodWithBreakers(callPath, isAsync, plan, method, key, owner, onInstance);
    },
  };
  return decoratorEngine(strategy);
}

// The `timeout` option runs inside the breaker, so a timed-out call counts as a failure; its
// TimeoutError names the circuit as its errors do (the `name` option, else the function). Without
// one, an async function still gets a `callSignal()`, so setting a timeout or not changes nothing
// else: `circuit(fn, { timeout: config.timeout })` works with the value absent.
function timed(plan: CircuitPlan, fn: AnyFunction, name: string, isAsync: boolean): AnyFunction {
  if (plan.timeout !== undefined) return withDeadline(fn, plan.timeout, name) as AnyFunction;
  return isAsync ? withCallSignal(fn) : fn;
}

/** A breaker, and the method's body running through it. */
interface MethodBinding {
  readonly breaker: CircuitBreaker;
  readonly call: AnyFunction;
}

function methodWithBreakers(
  callPath: CallPath,
  isAsync: boolean,
  plan: CircuitPlan,
  original: AnyFunction,
  key: string | symbol,
  ownerName: string | undefined,
  onInstance: ((run: (self: unknown) => void) => void) | undefined,
): AnyFunction {
  const label = keyLabel(key);
  const bind = (self: unknown): MethodBinding => {
    const owner = ownerName ?? findOwnerName(self, method, key) ?? 'anonymous';
    const breaker = breakerFor(plan, `${owner}.${label}`, plan.scope === 'instance');
    return { breaker, call: callPath(breaker, timed(plan, original, plan.breakerOptions.name ?? `${owner}.${label}`, isAsync), plan.fallback, plan.signal) };
  };
  let bindingOf: (self: unknown) => MethodBinding;
  if (plan.scope === 'instance') {
    // Breakers are made per instance, later: their options are checked now, so a mistake shows
    // when the class is defined.
    resolveBreakerOptions(plan.breakerOptions);
    const perInstance = new WeakMap<object, MethodBinding>();
    bindingOf = (self) => {
      if ((typeof self !== 'object' && typeof self !== 'function') || self === null) {
        throw new TypeError(`${label} has an instance-scoped circuit and was called without an instance (this is ${describeValue(self)})`);
      }
      let binding = perInstance.get(self);
      if (binding === undefined) perInstance.set(self, (binding = bind(self)));
      return binding;
    };
  } else {
    // The class's breaker is made now, at decoration, whenever its name is known (a name of its
    // own, a shared breaker, or experimentalDecorators, which say the class): a name clash or a
    // bad option shows up when the class is defined, not as a failing call. Standard decorators
    // do not say the class, so its name waits for the first call; the options are checked now.
    const nameKnown = plan.breaker !== undefined || plan.breakerOptions.name !== undefined || ownerName !== undefined;
    if (!nameKnown) resolveBreakerOptions(plan.breakerOptions);
    let shared: MethodBinding | undefined = nameKnown ? bind(undefined) : undefined;
    bindingOf = (self) => (shared ??= bind(self));
    // Standard decorators: the class's name is known once its first instance exists, so the
    // breaker is made then, and monitoring lists it before the method's first call. Making it
    // must not fail a constructor: whatever it throws, the first call throws again, to its caller.
    if (!nameKnown) {
      onInstance?.((self) => {
        try {
          bindingOf(self);
        } catch {
          // Left for the first call to report.
        }
      });
    }
  }

  function method(this: unknown, ...args: unknown[]): unknown {
    let binding: MethodBinding;
    try {
      binding = bindingOf(this);
    } catch (error) {
      if (isAsync) return Promise.reject(error);
      throw error;
    }
    return binding.call.apply(this, args);
  }
  Object.defineProperty(method, BREAKER_OF, { value: (self: unknown) => bindingOf(self).breaker, configurable: true });
  return method;
}

// Under standard decorators the class is unknown at decoration time; the first call finds the
// class that owns this very method on the prototype chain, so a subclass instance still names
// the class that declared it.
export function findOwnerName(self: unknown, method: Function, key: string | symbol): string | undefined {
  if ((typeof self !== 'object' && typeof self !== 'function') || self === null) return undefined;
  for (let o: object | null = self; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.getOwnPropertyDescriptor(o, key)?.value === method) {
      return typeof o === 'function' ? o.name : (o.constructor as Function | undefined)?.name;
    }
  }
  return typeof self === 'function' ? self.name : (self.constructor as Function | undefined)?.name;
}
