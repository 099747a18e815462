import { CircuitBreaker } from '../breaker.js';
import { describeValue } from '../core/describe-value.js';
import type { BreakerOptions } from '../core/options.js';
import { breakerOptionNames, optionalFunction, resolveBreakerOptions } from '../core/options.js';
import type { Fallback } from '../guard/fallback.js';

/**
 * Options of `circuit(fn, options)`: a breaker's options, or a shared `breaker`, plus what belongs
 * to the guarded function itself.
 *
 * @typeParam A - the guarded function's parameters
 * @typeParam F - what the fallback returns
 */
export interface CircuitOptions<A extends unknown[] = any[], F = unknown> extends BreakerOptions {
  /**
   * The result of a call that failed with a counted failure (`error` is the original) or was
   * rejected by the breaker (`error` is the {@link CircuitOpenError}). It gets the call's
   * arguments and `this`. What it throws reaches the caller with the original error as `cause`.
   */
  fallback?: (error: unknown, ...args: A) => F;
  /** A breaker to share with other guarded functions, instead of a new one; no breaker options with it. */
  breaker?: CircuitBreaker;
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
}

const GUARD_KEYS: ReadonlySet<string> = new Set(['fallback', 'breaker']);
const DECORATOR_KEYS: ReadonlySet<string> = new Set(['fallback', 'breaker', 'scope']);

/** Checks `circuit`'s second argument (or a decorator factory's only one). */
export function parseGuardSpec(spec: unknown, forDecorator: boolean): GuardSpec {
  if (spec instanceof CircuitBreaker) {
    return { breaker: spec, breakerOptions: {}, fallback: undefined, scope: 'class' };
  }
  if (spec === undefined) return { breaker: undefined, breakerOptions: {}, fallback: undefined, scope: 'class' };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new TypeError(`circuit options must be an object or a CircuitBreaker, got ${describeValue(spec)}`);
  }
  const o = spec as Record<string, unknown>;
  resolveBreakerOptions(o, forDecorator ? DECORATOR_KEYS : GUARD_KEYS);
  const fallback = optionalFunction<Fallback>(o, 'fallback');
  const scope = o.scope ?? 'class';
  if (scope !== 'class' && scope !== 'instance') {
    throw new TypeError(`scope must be "class" or "instance", got ${describeValue(o.scope)}`);
  }
  const breakerOptions: Record<string, unknown> = {};
  for (const key of Object.keys(o)) if (breakerOptionNames.has(key)) breakerOptions[key] = o[key];
  const breaker = o.breaker;
  if (breaker === undefined) return { breaker: undefined, breakerOptions, fallback, scope };
  if (!(breaker instanceof CircuitBreaker)) {
    throw new TypeError(`breaker must be a CircuitBreaker, got ${describeValue(breaker)}`);
  }
  const clash = Object.keys(breakerOptions)[0];
  if (clash !== undefined) {
    throw new TypeError(`${clash} cannot be combined with breaker: a shared breaker keeps its own options`);
  }
  if (scope === 'instance') throw new TypeError('scope "instance" cannot be combined with a shared breaker');
  return { breaker, breakerOptions, fallback, scope };
}

/** The breaker a spec describes, made with `defaultName` unless the options name one. */
export function breakerFromSpec(spec: GuardSpec, defaultName: string): CircuitBreaker {
  return spec.breaker ?? new CircuitBreaker({ ...spec.breakerOptions, name: spec.breakerOptions.name ?? defaultName });
}
