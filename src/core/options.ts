import type { CircuitBreaker } from '../breaker.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { invalid } from './invalid-option.js';
import type { ExpectedError } from './error-filter.js';
import { compileErrorFilter } from './error-filter.js';
import type { CircuitState } from './machine.js';
import type { ErrorReporter } from './report.js';
import { warnProcess } from './report.js';
import type { PolicyFactory } from '../policies/trip-policy.js';
import { CircuitRegistry, defaultRegistry } from '../observe/registry.js';
import type { CircuitStore } from '../store/store-link.js';
import { isStore } from '../store/store-link.js';

/** Options of a {@link CircuitBreaker}: when it opens, when it probes, who hears about it. */
export interface BreakerOptions {
  /** Consecutive counted failures that open the circuit, under the default policy. Default 5. */
  failureThreshold?: number;
  /**
   * Milliseconds the circuit stays open before it admits a trial call. Default 30,000. A function
   * gets the number of openings in a row (1 for a trip from closed, 2 after a failed trial, ...)
   * and returns the time for this one; see `exponentialBackoff`. It starts over when the circuit
   * closes.
   */
  recoveryTimeout?: number | ((openings: number) => number);
  /**
   * When a closed circuit opens, instead of `failureThreshold` failures in a row:
   * `countWindow(...)`, `timeWindow(...)`, or your own {@link PolicyFactory}.
   */
  policy?: PolicyFactory;
  /**
   * Milliseconds at or above which a call counts as slow, for the `slowCallRate` of a window
   * policy. The call itself still succeeds or fails as it would. Needs a window `policy`.
   */
  slowCallDuration?: number;
  /**
   * Judges a returned value: true counts the call as a failure (the caller still gets the value,
   * and no fallback runs). For example `(response) => response.status >= 500` for `fetch`.
   */
  isFailure?: (result: any) => boolean;

  /** Trial calls admitted at once while half-open; others are rejected at once. Default 1. */
  halfOpenMaxCalls?: number;
  /** Trial successes in a row that close the circuit again. Default 1. */
  successThreshold?: number;
  /**
   * Which errors count as failures: an `Error` class (subclasses match too), an array of them, or
   * a predicate. Other errors pass through untouched and count neither way. Default: every error.
   */
  expectedError?: ExpectedError;
  /** Called when the circuit opens. */
  onOpen?: (breaker: CircuitBreaker) => void;
  /** Called when the circuit closes again. */
  onClose?: (breaker: CircuitBreaker) => void;
  /** Called when the circuit is first seen half-open: by a call, or by reading its state. */
  onHalfOpen?: (breaker: CircuitBreaker) => void;
  /** Called after every real change of state (never for closed → closed), after the specific listener. */
  onStateChange?: (from: CircuitState, to: CircuitState, breaker: CircuitBreaker) => void;
  /** A name for messages, errors and metrics. Default: the guarded function's name, or `Class.method`. */
  name?: string;
  /**
   * Where the breaker registers itself: a {@link CircuitRegistry}, or `false` for nowhere.
   * Default: `defaultRegistry` when `name` is given, nowhere otherwise.
   */
  registry?: CircuitRegistry | false;
  /** The time source, in milliseconds. Default: `Date.now()`. */
  clock?: Clock;
  /**
   * Receives errors that circuitry contains: a throwing listener, clock or `expectedError`
   * predicate. Default: a process warning named `CircuitryWarning`.
   */
  reportError?: ErrorReporter;
  /**
   * Shares this breaker's state with every process using the same store and `name`: an open
   * decided by one is seen by all, and one process at a time runs trial calls. Made by
   * `redisStore` (from `circuitry/redis`) or `sharedStore`. Needs `name`. Default: none, the
   * state lives in this process only.
   */
  store?: CircuitStore;
}

/** Options with defaults applied, checked, and frozen in shape. */
export interface ResolvedBreakerOptions {
  readonly failureThreshold: number;
  readonly recoveryTimeout: number | ((openings: number) => number);
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
  readonly policy: PolicyFactory | undefined;
  readonly slowCallDuration: number | undefined;
  readonly isFailure: ((result: unknown) => boolean) | undefined;
  /** Undefined when every error counts, so the hot path can skip the call. */
  readonly isExpected: ((error: unknown) => boolean) | undefined;
  readonly onOpen: ((breaker: CircuitBreaker) => void) | undefined;
  readonly onClose: ((breaker: CircuitBreaker) => void) | undefined;
  readonly onHalfOpen: ((breaker: CircuitBreaker) => void) | undefined;
  readonly onStateChange: ((from: CircuitState, to: CircuitState, breaker: CircuitBreaker) => void) | undefined;
  readonly name: string | undefined;
  readonly registry: CircuitRegistry | undefined;
  readonly clock: Clock;
  readonly reportError: ErrorReporter;
  readonly store: CircuitStore | undefined;
}

const BREAKER_KEYS = [
  'failureThreshold',
  'recoveryTimeout',
  'policy',
  'slowCallDuration',
  'isFailure',
  'halfOpenMaxCalls',
  'successThreshold',
  'expectedError',
  'onOpen',
  'onClose',
  'onHalfOpen',
  'onStateChange',
  'name',
  'registry',
  'clock',
  'reportError',
  'store',
] as const satisfies readonly (keyof BreakerOptions)[];

const breakerOptionNames: ReadonlySet<string> = new Set(BREAKER_KEYS);

/**
 * Applies defaults and checks every option, throwing a `TypeError` or `RangeError` that names the
 * option and the value.
 */
export function resolveBreakerOptions(options: BreakerOptions): ResolvedBreakerOptions {
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!breakerOptionNames.has(key)) throw new TypeError(`unknown circuit option "${key}"`);
  }
  const clock = o.clock ?? systemClock;
  if (typeof (clock as Clock | null)?.now !== 'function') invalid(TypeError, 'clock', 'an object with a now() method', o.clock);
  const name = o.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) invalid(TypeError, 'name', 'a non-empty string', name);
  const policy = optionalFunction<PolicyFactory>(o, 'policy');
  if (policy !== undefined && o.failureThreshold !== undefined) {
    throw new TypeError('failureThreshold cannot be combined with policy: it belongs to the default policy');
  }
  const slowCallDuration = o.slowCallDuration === undefined ? undefined : positiveDuration(o, 'slowCallDuration', 0);
  if (slowCallDuration !== undefined && policy === undefined) {
    throw new TypeError('slowCallDuration needs a window policy (countWindow or timeWindow) to count slow calls against');
  }
  return {
    failureThreshold: positiveInteger(o, 'failureThreshold', 5),
    recoveryTimeout: typeof o.recoveryTimeout === 'function' ? (o.recoveryTimeout as (n: number) => number) : positiveDuration(o, 'recoveryTimeout', 30_000),
    policy,
    slowCallDuration,
    isFailure: optionalFunction(o, 'isFailure'),
    halfOpenMaxCalls: positiveInteger(o, 'halfOpenMaxCalls', 1),
    successThreshold: positiveInteger(o, 'successThreshold', 1),
    isExpected: compileErrorFilter(o.expectedError as ExpectedError | undefined),
    onOpen: optionalFunction(o, 'onOpen'),
    onClose: optionalFunction(o, 'onClose'),
    onHalfOpen: optionalFunction(o, 'onHalfOpen'),
    onStateChange: optionalFunction(o, 'onStateChange'),
    name,
    registry: registryOf(o, name),
    clock: clock as Clock,
    reportError: optionalFunction(o, 'reportError') ?? warnProcess,
    store: storeOf(o, name),
  };
}

function storeOf(o: Record<string, unknown>, name: unknown): CircuitStore | undefined {
  const store = o.store;
  if (store === undefined) return undefined;
  if (!isStore(store)) invalid(TypeError, 'store', 'a store made by redisStore or sharedStore', store);
  // Processes find each other's state by name; a derived one could differ between builds.
  if (name === undefined) throw new TypeError('store needs a name: processes share a circuit by its name');
  return store;
}

/** Checks that `options` is an object (undefined is an empty one) before its keys are read. */
export function optionsObject(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid(TypeError, 'circuit options', what, options);
  return options as Record<string, unknown>;
}

function positiveInteger(o: Record<string, unknown>, key: string, fallback: number): number {
  const value = o[key];
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    invalid(typeof value === 'number' ? RangeError : TypeError, key, 'a positive integer', value);
  }
  return value as number;
}

function positiveDuration(o: Record<string, unknown>, key: string, fallback: number): number {
  const value = o[key];
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || (value as number) <= 0) {
    invalid(typeof value === 'number' ? RangeError : TypeError, key, 'a positive finite number of milliseconds', value);
  }
  return value as number;
}

/** Checks an optional function-valued option. */
export function optionalFunction<F>(o: Record<string, unknown>, key: string): F | undefined {
  const value = o[key];
  if (value !== undefined && typeof value !== 'function') invalid(TypeError, key, 'a function', value);
  return value as F | undefined;
}

function registryOf(o: Record<string, unknown>, name: unknown): CircuitRegistry | undefined {
  const registry = o.registry;
  if (registry === false) return undefined;
  if (registry === undefined) return name === undefined ? undefined : defaultRegistry;
  if (!(registry instanceof CircuitRegistry)) invalid(TypeError, 'registry', 'a CircuitRegistry or false', registry);
  return registry;
}
