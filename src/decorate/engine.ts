import type { CircuitBreaker } from '../breaker/breaker.js';
import { describeValue } from '../check/check.js';
import type { Fallback } from '../breaker/fallback.js';
import type { GuardSpec } from './circuit-options.js';
import { breakerFromSpec, parseGuardSpec } from './circuit-options.js';
import { describeKey, isDecoratorContext, isLegacyDecoratorCall } from './decorator-call.js';
import { BREAKER_OF, keepIdentity } from './function-identity.js';
import { withDeadline } from '../deadline/deadline.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** Turns a function into its guarded form, bound to one breaker: the async or the sync guard. */
export type Guard = (breaker: CircuitBreaker, fn: AnyFunction, fallback: Fallback | undefined) => AnyFunction;

/** How `circuit` or `circuitSync` guards: its name for messages, its guard, and how it fails. */
export interface GuardKind {
  readonly api: 'circuit' | 'circuitSync';
  readonly guard: Guard;
  /** The async kind reports errors as rejections, never as synchronous throws. */
  readonly isAsync: boolean;
}

type BreakerLookup = (self: unknown) => CircuitBreaker;

/** The breaker behind a guarded function or method, given the instance a method is called on. */
export function lookupBreaker(fn: unknown, self: unknown): CircuitBreaker | undefined {
  const lookup = typeof fn === 'function' ? (fn as { [BREAKER_OF]?: BreakerLookup })[BREAKER_OF] : undefined;
  return lookup?.(self);
}

/**
 * The whole of `circuit` / `circuitSync` at run time: a wrapper for `fn(fn, options)`, a bare
 * decorator under either decorator standard, or a decorator factory for `@circuit(options)`.
 */
export function guardEntry(kind: GuardKind): (...params: unknown[]) => unknown {
  return function entry(first?: unknown, second?: unknown, third?: unknown): unknown {
    if (isDecoratorContext(second)) return decorateStandard(kind, parseGuardSpec(undefined, true, kind.isAsync), first, second);
    if (isLegacyDecoratorCall(first, second)) {
      return decorateLegacy(kind, parseGuardSpec(undefined, true, kind.isAsync), first as object, second, third);
    }
    if (typeof first === 'function') return guardFunction(kind, first as AnyFunction, second);
    const spec = parseGuardSpec(first, true, kind.isAsync);
    return function decorator(target: unknown, key: unknown, descriptor?: unknown): unknown {
      if (isDecoratorContext(key)) return decorateStandard(kind, spec, target, key);
      if (isLegacyDecoratorCall(target, key)) return decorateLegacy(kind, spec, target as object, key, descriptor);
      throw new TypeError(`@${kind.api}(...) must decorate a method, got ${describeValue(target)}`);
    };
  };
}

function guardFunction(kind: GuardKind, fn: AnyFunction, options: unknown): AnyFunction {
  const spec = parseGuardSpec(options, false, kind.isAsync);
  const breaker = breakerFromSpec(spec, fn.name || 'anonymous');
  const guarded = kind.guard(breaker, timed(spec, fn, fn.name), spec.fallback);
  keepIdentity(guarded, fn);
  Object.defineProperty(guarded, 'breaker', { value: breaker, enumerable: true });
  Object.defineProperty(guarded, BREAKER_OF, { value: () => breaker, configurable: true });
  return guarded;
}

// The `timeout` option runs inside the breaker, so a timed-out call counts as a failure.
function timed(spec: GuardSpec, fn: AnyFunction, name: string): AnyFunction {
  return spec.timeout === undefined ? fn : (withDeadline(fn, spec.timeout, name) as AnyFunction);
}

function decorateStandard(kind: GuardKind, spec: GuardSpec, method: unknown, context: DecoratorContext): AnyFunction {
  if (context.kind !== 'method' || typeof method !== 'function') {
    throw new TypeError(`@${kind.api} can only decorate methods, not the ${context.kind} ${describeKey(context.name ?? '(anonymous)')}`);
  }
  return guardMethod(kind, spec, method as AnyFunction, context.name, undefined);
}

function decorateLegacy(kind: GuardKind, spec: GuardSpec, target: object, key: string | symbol, descriptor: unknown): PropertyDescriptor {
  const d = descriptor as PropertyDescriptor | undefined;
  if (typeof d !== 'object' || d === null || typeof d.value !== 'function') {
    const what = d === undefined ? 'field' : typeof d?.get === 'function' || typeof d?.set === 'function' ? 'accessor' : 'property';
    throw new TypeError(`@${kind.api} can only decorate methods, not the ${what} ${describeKey(key)}`);
  }
  const owner = typeof target === 'function' ? target.name : (target.constructor as Function | undefined)?.name;
  d.value = guardMethod(kind, spec, d.value as AnyFunction, key, owner);
  return d;
}

interface Guarded {
  readonly breaker: CircuitBreaker;
  readonly call: AnyFunction;
}

function guardMethod(
  kind: GuardKind,
  spec: GuardSpec,
  original: AnyFunction,
  key: string | symbol,
  ownerName: string | undefined,
): AnyFunction {
  const label = typeof key === 'symbol' ? (key.description ?? 'symbol') : key;
  const guardFor = (self: unknown): Guarded => {
    const owner = ownerName ?? findOwnerName(self, method, key) ?? 'anonymous';
    const breaker = breakerFromSpec(spec, `${owner}.${label}`, spec.scope === 'instance');
    return { breaker, call: kind.guard(breaker, timed(spec, original, `${owner}.${label}`), spec.fallback) };
  };
  let lookup: (self: unknown) => Guarded;
  if (spec.scope === 'instance') {
    const perInstance = new WeakMap<object, Guarded>();
    lookup = (self) => {
      if ((typeof self !== 'object' && typeof self !== 'function') || self === null) {
        throw new TypeError(`${label} has an instance-scoped circuit and was called without an instance (this is ${describeValue(self)})`);
      }
      let guarded = perInstance.get(self);
      if (guarded === undefined) perInstance.set(self, (guarded = guardFor(self)));
      return guarded;
    };
  } else {
    // A breaker with a name of its own (or a shared one) is made now, at decoration: a name
    // clash or a broken policy shows up when the class is defined, not as a failing call.
    let shared: Guarded | undefined =
      spec.breaker !== undefined || spec.breakerOptions.name !== undefined ? guardFor(undefined) : undefined;
    lookup = (self) => (shared ??= guardFor(self));
  }

  function method(this: unknown, ...args: unknown[]): unknown {
    let guarded: Guarded;
    try {
      guarded = lookup(this);
    } catch (error) {
      if (kind.isAsync) return Promise.reject(error);
      throw error;
    }
    return guarded.call.apply(this, args);
  }
  keepIdentity(method, original);
  Object.defineProperty(method, BREAKER_OF, { value: (self: unknown) => lookup(self).breaker, configurable: true });
  return method;
}

// Under standard decorators the class is unknown at decoration time; the first call finds the
// class that owns this very method on the prototype chain, so a subclass instance still names
// the class that declared it.
function findOwnerName(self: unknown, method: Function, key: string | symbol): string | undefined {
  if ((typeof self !== 'object' && typeof self !== 'function') || self === null) return undefined;
  for (let o: object | null = self; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.getOwnPropertyDescriptor(o, key)?.value === method) {
      return typeof o === 'function' ? o.name : (o.constructor as Function | undefined)?.name;
    }
  }
  return typeof self === 'function' ? self.name : (self.constructor as Function | undefined)?.name;
}
