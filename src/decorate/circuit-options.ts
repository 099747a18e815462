import type { BreakerOptions } from '../breaker/breaker.js';
import { CircuitBreaker } from '../breaker/breaker.js';
import { checkDuration, invalid, optionalFunction, optionsObject } from '../check/check.js';
import { resolveBreakerOptions } from '../breaker/options.js';
import type { Fallback } from '../breaker/fallback.js';
import { add, defaultRegistrations, placeOfCaller } from '../breaker/registrations.js';

/**
 * Options of `circuit(fn, options)`: a breaker's options, or a shared `breaker`, plus what belongs
 * to the guarded function itself.
 *
 * @typeParam A - the guarded function's parameters
 * @typeParam F - what the fallback returns
 * @typeParam R - what the guarded function resolves to, as `isFailure` sees it
 */
export interface CircuitOptions<A extends unknown[] = any[], F = unknown, R = any> extends BreakerOptions {
  /**
   * Judges a returned value: true counts the call as a failure (the caller still gets the value,
   * and no fallback runs). For example `(response) => response.status >= 500` for `fetch`.
   */
  isFailure?: (result: R) => boolean;
  /**
   * The result of a call that failed with a counted failure (`error` is the original) or was
   * rejected by the breaker (`error` is the {@link CircuitOpenError}). It gets the call's
   * arguments and `this`. What it throws reaches the caller with the original error as `cause`.
   */
  fallback?: (error: unknown, ...args: A) => F;
  /** A breaker to share with other guarded functions, instead of a new one; no breaker options with it. */
  breaker?: CircuitBreaker;
  /**
   * Milliseconds a call may take: a slower one rejects with `TimeoutError`, which the breaker
   * counts as a failure (and a timeout). The function can read its own `AbortSignal` with
   * `callSignal()` to stop the work.
   */
  timeout?: number;
}

/** Options of the `@circuit(...)` and `@circuitSync(...)` decorators. */
export interface CircuitDecoratorOptions extends CircuitOptions<any[], unknown> {
  /**
   * `'class'` (the default): one breaker serves the method for every instance, as Python's
   * decorator does. `'instance'`: each instance gets its own, held weakly.
   */
  scope?: 'class' | 'instance';
}

/** What a guard needs to know, parsed and checked once, when `circuit` is applied. */
export interface GuardSpec {
  readonly breaker: CircuitBreaker | undefined;
  readonly breakerOptions: BreakerOptions;
  readonly fallback: Fallback | undefined;
  readonly scope: 'class' | 'instance';
  readonly timeout: number | undefined;
  /** Where `circuit` was applied, for a breaker that will join the default registry under a derived name. */
  readonly place: string | undefined;
}

/** Checks `circuit`'s second argument (or a decorator factory's only one). */
export function parseGuardSpec(spec: unknown, forDecorator: boolean, isAsync = true): GuardSpec {
  if (spec instanceof CircuitBreaker) return { breaker: spec, breakerOptions: {}, fallback: undefined, scope: 'class', timeout: undefined, place: undefined };
  const o = optionsObject(spec, 'circuit', undefined, 'an object or a CircuitBreaker');
  const { fallback, breaker, scope = 'class', timeout, ...breakerOptions } = o as CircuitDecoratorOptions;
  if (!forDecorator && 'scope' in o) throw new TypeError('unknown circuit option "scope"');
  // A synchronous call cannot be cut short: its result is there before any timer could fire.
  if (!isAsync && 'timeout' in o) throw new TypeError('timeout cannot be used with circuitSync: a synchronous call cannot be cut short');
  resolveBreakerOptions(breakerOptions);
  optionalFunction(o, 'fallback');
  if (scope !== 'class' && scope !== 'instance') invalid(TypeError, 'scope', '"class" or "instance"', scope);
  if (breaker !== undefined) {
    if (!(breaker instanceof CircuitBreaker)) invalid(TypeError, 'breaker', 'a CircuitBreaker', breaker);
    const clash = Object.keys(breakerOptions)[0] ?? (scope === 'instance' ? 'scope "instance"' : undefined);
    if (clash !== undefined) throw new TypeError(`${clash} cannot be combined with breaker: a shared breaker keeps its own options`);
  }
  // Read here, where the function is wrapped or the method decorated, and not where the breaker
  // is made (a bare standard decorator makes it at the first call, from wherever that comes):
  // the place tells clashing derived names apart, and must not depend on which call came first.
  const derived = breaker === undefined && scope === 'class' && breakerOptions.name === undefined && breakerOptions.registry === undefined;
  return {
    breaker,
    breakerOptions,
    fallback: fallback as Fallback | undefined,
    scope,
    timeout: timeout === undefined ? undefined : checkDuration(timeout, 'timeout', { timer: true }),
    place: derived ? placeOfCaller() : undefined,
  };
}

/**
 * The breaker a spec describes, made with `defaultName` unless the options name one. Every
 * class-scoped and function breaker is listed in the default registry unless `registry` says
 * otherwise, so that a bare `@circuit` shows in monitoring; derived names (a function's,
 * `Class.method`) join quietly, under the place `circuit` was applied, since two classes named
 * `Client` are no one's mistake. `perInstance` breakers join no registry: a series per instance
 * would grow with the instances, and no one state describes them all.
 */
export function breakerFromSpec(spec: GuardSpec, defaultName: string, perInstance = false): CircuitBreaker {
  if (spec.breaker !== undefined) return spec.breaker;
  const { name, registry } = spec.breakerOptions;
  if (perInstance) return new CircuitBreaker({ ...spec.breakerOptions, name: name ?? defaultName, registry: false });
  if (name !== undefined || registry !== undefined) return new CircuitBreaker({ ...spec.breakerOptions, name: name ?? defaultName });
  const breaker = new CircuitBreaker({ ...spec.breakerOptions, name: defaultName, registry: false });
  add(defaultRegistrations(), breaker, { place: spec.place, derived: true });
  return breaker;
}
