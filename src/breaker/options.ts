import type { OptionBag } from '../check/check.js';
import { checkDuration, duration, invalid, optionalFunction, optionsObject, positiveInteger } from '../check/check.js';
import type { RampSettings, TrialSample } from '../machine/machine.js';
import { rate } from '../policies/rate.js';
import type { Clock } from '../machine/clock.js';
import { systemClock } from '../machine/clock.js';
import type { PolicyFactory } from '../machine/trip-policy.js';
import type { ExpectedError } from './error-filter.js';
import { compileErrorFilter } from './error-filter.js';
import type { ErrorReporter } from './report.js';
import { warnProcess } from './report.js';
import type { CircuitStore } from './store-link.js';
import { isStore } from './store-link.js';

/**
 * A breaker's options with defaults applied and checked. Option callbacks (`onOpen`...) are not
 * here: they are listeners, registered with the others.
 */
export interface ResolvedBreakerOptions {
  readonly failureThreshold: number;
  readonly recoveryTimeout: number | ((openings: number) => number);
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
  readonly trials: TrialSample | undefined;
  readonly shadow: boolean;
  readonly ramp: RampSettings | undefined;
  readonly openPeriodOf: ((failure: unknown) => number | undefined) | undefined;
  readonly minOpenPeriod: number;
  readonly maxOpenPeriod: number;
  readonly shareOpenPeriodOf: boolean;
  readonly policy: PolicyFactory | undefined;
  readonly slowCallDuration: number | undefined;
  /**
   * From `measureDurations`: time one call in this many while a duration listener is attached
   * (1: every call; 0: none). `slowCallDuration` times every call whatever this says.
   */
  readonly measureEvery: number;
  /** True when the clock is the default one: durations then come from `performance.now()`. */
  readonly preciseDurations: boolean;
  readonly isFailure: ((result: unknown) => boolean) | undefined;
  /** Undefined when every error counts, so the hot path can skip the call. */
  readonly isExpected: ((error: unknown) => boolean) | undefined;
  readonly name: string | undefined;
  readonly clock: Clock;
  readonly reportError: ErrorReporter;
  readonly store: CircuitStore | undefined;
}

/** The open period when `recoveryTimeout` is left out, and when a `recoveryTimeout` function fails. */
export const DEFAULT_RECOVERY_TIMEOUT = 30_000;

/** Every option `new CircuitBreaker` knows; `circuit` adds its own on top. */
const BREAKER_OPTION_NAMES: ReadonlySet<string> = new Set([
  'failureThreshold',
  'recoveryTimeout',
  'policy',
  'slowCallDuration',
  'measureDurations',
  'isFailure',
  'halfOpenMaxCalls',
  'successThreshold',
  'trials',
  'shadow',
  'ramp',
  'openPeriodOf',
  'minOpenPeriod',
  'maxOpenPeriod',
  'shareOpenPeriodOf',
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
]);

/** The option callbacks, by the event each one listens to. */
export const OPTION_LISTENERS = { onOpen: 'open', onClose: 'close', onHalfOpen: 'halfOpen', onStateChange: 'stateChange' } as const;

/**
 * Applies defaults and checks every option, throwing a `TypeError` or `RangeError` that names the
 * option and the value. An option set to `undefined` is an option left out.
 */
export function resolveBreakerOptions(options: unknown): ResolvedBreakerOptions {
  const o = optionsObject(options, 'circuit', BREAKER_OPTION_NAMES);
  const clock = o.clock ?? systemClock;
  if (typeof (clock as Clock | null)?.now !== 'function') invalid(TypeError, 'clock', 'an object with a now() method', o.clock);
  const name = o.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) invalid(TypeError, 'name', 'a non-empty string', name);
  const policy = optionalFunction<PolicyFactory>(o, 'policy');
  if (policy !== undefined && o.failureThreshold !== undefined) {
    throw new TypeError('failureThreshold cannot be combined with policy: it belongs to the default policy');
  }
  const slowCallDuration = o.slowCallDuration === undefined ? undefined : duration(o, 'slowCallDuration', 0);
  const trials = trialSample(o);
  if (slowCallDuration !== undefined && policy === undefined && trials === undefined) {
    throw new TypeError('slowCallDuration needs a window policy (countWindow or timeWindow) or trials to count slow calls against');
  }
  const minOpenPeriod = duration(o, 'minOpenPeriod', 1_000);
  const maxOpenPeriod = duration(o, 'maxOpenPeriod', 300_000);
  if (maxOpenPeriod < minOpenPeriod) invalid(RangeError, 'maxOpenPeriod', `at least minOpenPeriod (${minOpenPeriod})`, maxOpenPeriod);
  if (slowCallDuration === undefined && (policy?.judgesSlowCalls === true || (o.trials as OptionBag | undefined)?.slowCallRate !== undefined)) {
    throw new TypeError('a slowCallRate (of the policy or trials) needs slowCallDuration: the milliseconds at or above which a call is slow');
  }
  const measureEvery = measureEveryOf(o.measureDurations);
  if (measureEvery === 0 && slowCallDuration !== undefined) {
    throw new TypeError('measureDurations: false cannot be combined with slowCallDuration');
  }
  for (const key of Object.keys(OPTION_LISTENERS)) optionalFunction(o, key);
  checkRegistry(o.registry);
  return {
    failureThreshold: positiveInteger(o, 'failureThreshold', 5),
    // An open period is compared with clock readings, never handed to a timer: any finite length works.
    recoveryTimeout: typeof o.recoveryTimeout === 'function' ? (o.recoveryTimeout as (n: number) => number) : duration(o, 'recoveryTimeout', DEFAULT_RECOVERY_TIMEOUT),
    policy,
    slowCallDuration,
    measureEvery,
    preciseDurations: clock === systemClock && typeof performance === 'object' && typeof performance?.now === 'function',
    isFailure: optionalFunction(o, 'isFailure'),
    // A sample runs all its trials at once unless halfOpenMaxCalls says fewer.
    halfOpenMaxCalls: positiveInteger(o, 'halfOpenMaxCalls', trials?.calls ?? 1),
    successThreshold: positiveInteger(o, 'successThreshold', 1),
    trials,
    shadow: flag(o, 'shadow'),
    ramp: rampOf(o.ramp),
    openPeriodOf: optionalFunction(o, 'openPeriodOf'),
    minOpenPeriod,
    maxOpenPeriod,
    shareOpenPeriodOf: flag(o, 'shareOpenPeriodOf'),
    isExpected: compileErrorFilter(o.expectedError as ExpectedError | undefined),
    name: name as string | undefined,
    clock: clock as Clock,
    reportError: optionalFunction(o, 'reportError') ?? warnProcess,
    store: storeOf(o, name),
  };
}

/**
 * The one check of the `registry` option, for `new CircuitBreaker` and `restoreBreaker` alike: a
 * registry is anything with a `register` method (a `BreakerRegistry`), `false`, or left out.
 */
export function checkRegistry(registry: unknown): void {
  if (registry !== undefined && registry !== false && typeof (registry as { register?: unknown } | null)?.register !== 'function') {
    invalid(TypeError, 'registry', 'a BreakerRegistry or false', registry);
  }
}

/**
 * The `trials` option: a sample judged by rates. It replaces `successThreshold`, and has room for
 * at most `calls` trials at once, so either given against it would contradict it.
 */
function trialSample(o: OptionBag): TrialSample | undefined {
  if (o.trials === undefined) return undefined;
  const t = optionsObject(o.trials, 'trials', ['calls', 'failureRate', 'slowCallRate']);
  if (o.successThreshold !== undefined) throw new TypeError('successThreshold cannot be combined with trials');
  const calls = positiveInteger({ 'trials.calls': t.calls }, 'trials.calls', 10);
  if (positiveInteger(o, 'halfOpenMaxCalls', 1) > calls) invalid(RangeError, 'halfOpenMaxCalls', 'at most trials.calls', o.halfOpenMaxCalls);
  return { calls, failureRate: rate(t.failureRate, 'trials.failureRate', 0.5), slowCallRate: rate(t.slowCallRate, 'trials.slowCallRate', 1) };
}

/** The `ramp` option: `duration` is required, `minShare` a share above 0 and at most 1 (default 0.1). */
function rampOf(value: unknown): RampSettings | undefined {
  if (value === undefined) return undefined;
  const r = optionsObject(value, 'ramp', ['duration', 'minShare']);
  return { duration: checkDuration(r.duration, 'ramp.duration'), minShare: rate(r.minShare, 'ramp.minShare', 0.1) };
}

/**
 * The `measureDurations` option as "one call in N": `true` (the default) 1, `false` 0, and
 * `{ sampleRate }` the nearest whole N, so that every timed call stands for the same N calls.
 */
function measureEveryOf(value: unknown): number {
  if (value === undefined || value === true) return 1;
  if (value === false) return 0;
  const sampleRate = optionsObject(value, 'measureDurations', ['sampleRate'], 'true, false or { sampleRate }').sampleRate;
  if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1)) {
    invalid(RangeError, 'measureDurations.sampleRate', 'a number above 0 and at most 1', sampleRate);
  }
  return Math.round(1 / (sampleRate as number));
}

function flag(o: OptionBag, key: string): boolean {
  const value = o[key] ?? false;
  if (typeof value !== 'boolean') invalid(TypeError, key, 'a boolean', value);
  return value;
}

function storeOf(o: OptionBag, name: unknown): CircuitStore | undefined {
  const store = o.store;
  if (store === undefined) return undefined;
  if (!isStore(store)) invalid(TypeError, 'store', 'a store made by redisStore or sharedStore', store);
  // Processes find each other's state by name; a derived one could differ between builds.
  if (name === undefined) throw new TypeError('store needs a name: processes share a circuit by its name');
  return store;
}
