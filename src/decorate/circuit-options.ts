import type { BreakerOptions } from '../breaker/breaker.js';
import { CircuitBreaker } from '../breaker/breaker.js';
import { checkDuration, invalid, optionalFunction, optionsObject } from '../check/check.js';
import type { Fallback } from '../breaker/fallback.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { checkSignalOption } from '../breaker/call-signal.js';
import { add, defaultRegistrations, placeOfCaller } from '../breaker/registrations.js';

/**
 * Options of `circuit(fn, options)`: a breaker's options, or a shared `breaker`, plus what belongs
 * to the guarded function itself. An option set to `undefined` is an option left out.
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
  isFailure?: ((result: R) => boolean) | undefined;
  /**
   * The result of a call that failed with a counted failure (`error` is the original) or was
   * rejected by the breaker (`error` is the {@link CircuitOpenError}). It gets the call's
   * arguments and `this`. What it throws reaches the caller with the original error as `cause`.
   */
  fallback?: ((error: unknown, ...args: A) => F) | undefined;
  /** A breaker to share with other guarded functions, instead of a new one; no breaker options with it. */
  breaker?: CircuitBreaker | undefined;
  /**
   * Milliseconds a call may take: a slower one rejects with `TimeoutError`, which the breaker
   * counts as a failure (and a timeout). The function can read its own `AbortSignal` with
   * `callSignal()` to stop the work.
   */
  timeout?: number | undefined;
  /**
   * The caller's cancellation: an `AbortSignal`, or a function of the call's arguments (and
   * `this`) that picks the call's own, e.g. `(request) => request.signal`. When it aborts, the
   * call rejects at once with its reason and `callSignal()` aborts inside the function. A call
   * stopped by the abort counts as aborted, neither success nor failure; one whose signal has
   * aborted already is not run.
   */
  signal?: SignalOption<A> | undefined;
}

/**
 * Options of the `@circuit(...)` and `@circuitSync(...)` decorators.
 *
 * @typeParam FB - the fallback's type, checked against the decorated method's parameters and result
 */
export interface CircuitDecoratorOptions<FB extends ((error: unknown, ...args: any[]) => unknown) | undefined = ((error: unknown, ...args: any[]) => unknown) | undefined> extends Omit<CircuitOptions, 'fallback'> {
  /**
   * As `circuit(fn, { fallback })`; the decorated method's parameters and result are checked
   * against it, but cannot type its parameters for you: annotate them.
   */
  fallback?: FB;
  /**
   * `'class'` (the default): one breaker serves the method for every instance, as Python's
   * decorator does. `'instance'`: each instance gets its own, held weakly.
   */
  scope?: 'class' | 'instance' | undefined;
}

/** A circuit's options, checked once when `circuit` or `circuitSync` is applied. */
export interface CircuitPlan {
  /** The shared breaker, or undefined when the circuit makes its own from `breakerOptions`. */
  readonly breaker: CircuitBreaker | undefined;
  /** Checked by the breaker's constructor, the one place breaker options are checked. */
  readonly breakerOptions: BreakerOptions;
  readonly fallback: Fallback | undefined;
  readonly scope: 'class' | 'instance';
  readonly timeout: number | undefined;
  readonly signal: SignalOption | undefined;
  /** Where `circuit` was applied, for a breaker that will join the default registry under a derived name. */
  readonly place: string | undefined;
}

const CIRCUIT_OWN = new Set(['fallback', 'breaker', 'scope', 'timeout', 'signal']);

/**
 * Checks what belongs to the circuit itself in `circuit`'s second argument (or a decorator
 * factory's only one); the breaker options are left to `new CircuitBreaker`, so they are checked
 * once. Options set to `undefined` are dropped, as if left out.
 */
export function parseCircuitOptions(options: unknown, forDecorator: boolean, isAsync: boolean): CircuitPlan {
  if (options instanceof CircuitBreaker) return { breaker: options, breakerOptions: {}, fallback: undefined, scope: 'class', timeout: undefined, signal: undefined, place: undefined };
  const o = optionsObject(options, 'circuit', undefined, 'an object or a CircuitBreaker');
  const breakerOptions: Record<string, unknown> = {};
  for (const key of Object.keys(o)) if (!CIRCUIT_OWN.has(key) && o[key] !== undefined) breakerOptions[key] = o[key];
  const { breaker, scope = 'class', timeout } = o as CircuitDecoratorOptions;
  if (!forDecorator && o.scope !== undefined) throw new TypeError('unknown circuit option "scope"');
  // A synchronous call cannot be cut short: its result is there before any timer could fire.
  if (!isAsync && timeout !== undefined) throw new TypeError('timeout cannot be used with circuitSync: a synchronous call cannot be cut short');
  const fallback = optionalFunction<Fallback>(o, 'fallback');
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
    fallback,
    scope,
    timeout: timeout === undefined ? undefined : checkDuration(timeout, 'timeout', { timer: true }),
    signal: checkSignalOption(o.signal),
    place: derived ? placeOfCaller() : undefined,
  };
}

/**
 * The breaker a plan describes, made with `defaultName` unless the options name one. Every
 * class-scoped and function breaker is listed in the default registry unless `registry` says
 * otherwise, so that a bare `@circuit` shows in monitoring; derived names (a function's,
 * `Class.method`) join quietly, under the place `circuit` was applied, since two classes named
 * `Client` are no one's mistake. `perInstance` breakers join no registry: a series per instance
 * would grow with the instances, and no one state describes them all.
 */
export function breakerFor(plan: CircuitPlan, defaultName: string, perInstance = false): CircuitBreaker {
  if (plan.breaker !== undefined) return plan.breaker;
  const { name, registry } = plan.breakerOptions;
  if (perInstance) return new CircuitBreaker({ ...plan.breakerOptions, name: name ?? defaultName, registry: false });
  if (name !== undefined || registry !== undefined) return new CircuitBreaker({ ...plan.breakerOptions, name: name ?? defaultName });
  const breaker = new CircuitBreaker({ ...plan.breakerOptions, name: defaultName, registry: false });
  add(defaultRegistrations(), breaker, { place: plan.place, derived: true });
  return breaker;
}
