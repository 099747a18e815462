import { describeValue } from '../check/check.js';
import type { CircuitState, Machine, MachineConfig, Now } from '../machine/machine.js';
import { createMachine } from '../machine/machine.js';
import type { PolicyFactory, TripPolicy } from '../machine/trip-policy.js';
import type { ErrorSource, ListenerTable } from './events.js';
import type { ResolvedBreakerOptions } from './options.js';
import { DEFAULT_RECOVERY_TIMEOUT } from './options.js';
import { safeReport } from './report.js';
import type { CallCounts } from './stats.js';
import type { StoreLink } from './store-link.js';


/**
 * What the call paths need from a breaker on every call, behind the public `CircuitBreaker`:
 * the machine, a clock reader that cannot throw, the counts and the listeners.
 */
export interface BreakerInternals extends CallCounts {
  readonly machine: Machine;
  /** Replaced whole by `configure`, never mutated. */
  options: ResolvedBreakerOptions;
  readonly name: string;
  /** Reads the clock; a throwing or non-finite clock is reported and the last good reading reused. */
  readonly now: Now;
  /** The most recent counted failure, kept so rejections can say what opened the circuit. */
  lastFailure: unknown;
  /** Listeners by event, option callbacks included; undefined until the first one. */
  listeners: ListenerTable | undefined;
  /**
   * One call in this many is timed: 1 while slow-call detection needs every duration, or a
   * duration listener is attached (or N by `measureDurations`); 0 while nothing needs them.
   */
  timeEvery: number;
  /** Calls left until the next timed one, when one call in N is timed. */
  untilTimed: number;
  /** Clock reading of the last change of state; undefined while there was none. */
  since: number | undefined;
  /** The shared store this breaker publishes its changes to; undefined for a local breaker. */
  link: StoreLink | undefined;
  /** True while a change is made by hand (`open()`, `close()`...), which a store always keeps. */
  manual: boolean;
}

/** Called by the machine after each real change of state. */
export type TransitionHandler = (internals: BreakerInternals, from: CircuitState, to: CircuitState) => void;

// The public breaker holds its insides in a private field, and breaker.ts hands this module the
// one function that reads it: no WeakMap entry per breaker (memory per breaker is benchmarked).
let readInternals: (breaker: object) => BreakerInternals;

/** Called once by `CircuitBreaker`: how to read a breaker's insides. */
export function setInternalsReader(read: (breaker: object) => BreakerInternals): void {
  readInternals = read;
}

/** The insides of `breaker`, made by {@link createInternals} for it. */
export function internalsOf(breaker: object): BreakerInternals {
  return readInternals(breaker);
}

export function createInternals(
  name: string,
  options: ResolvedBreakerOptions,
  onTransition: TransitionHandler,
): BreakerInternals {
  let lastReading = 0;
  const internals: BreakerInternals = {
    machine: undefined as unknown as Machine,
    options,
    name,
    now: () => {
      try {
        const t = internals.options.clock.now();
        if (typeof t !== 'number' || !Number.isFinite(t)) {
          throw new TypeError(`clock.now() must return a finite number, got ${describeValue(t)}`);
        }
        lastReading = t;
      } catch (error) {
        report(internals, error, 'clock');
      }
      return lastReading;
    },
    lastFailure: undefined,
    listeners: undefined,
    timeEvery: options.slowCallDuration === undefined ? 0 : 1,
    untilTimed: 0,
    successes: 0,
    failures: 0,
    timeouts: 0,
    rejections: 0,
    fallbacks: 0,
    ignored: 0,
    aborted: 0,
    since: undefined,
    link: undefined,
    manual: false,
  };
  (internals as { machine: Machine }).machine = createMachine(machineConfig(internals, options, undefined), onTransition, internals);
  return internals;
}

/**
 * The machine's configuration for `options`. The trip policy carries its counts over when the `policy`
 * option is the same factory as before (`previous`), and starts afresh when it changed.
 */
export function machineConfig(
  internals: BreakerInternals,
  options: ResolvedBreakerOptions,
  previous: { factory: PolicyFactory | undefined; policy: TripPolicy | undefined } | undefined,
): MachineConfig {
  const recovery = options.recoveryTimeout;
  const policy = previous !== undefined && previous.factory === options.policy ? previous.policy : makePolicy(internals, options.policy);
  return {
    settings: options,
    policy,
    openPeriod:
      typeof recovery === 'number'
        ? recovery
        : (openings) => {
            try {
              const ms = recovery(openings);
              if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) return ms;
              throw new RangeError(`recoveryTimeout(${openings}) must return a positive finite number of milliseconds, got ${describeValue(ms)}`);
            } catch (error) {
              report(internals, error, 'recoveryTimeout');
              // The default open period stands in for a broken `recoveryTimeout` function.
              return DEFAULT_RECOVERY_TIMEOUT;
            }
          },
  };
}

// A policy is user code on the hot path: what it throws is reported, and the call's outcome
// stands as if the policy had said "stay closed".
function makePolicy(internals: BreakerInternals, factory: PolicyFactory | undefined): TripPolicy | undefined {
  if (factory === undefined) return undefined;
  const policy = factory();
  for (const method of ['onSuccess', 'onFailure', 'reset'] as const) {
    if (typeof policy?.[method] !== 'function') {
      throw new TypeError(`policy must return an object with onSuccess, onFailure and reset methods, got ${describeValue(policy)}`);
    }
  }
  const guarded = (decide: (slow: boolean, now: Now) => boolean) => (slow: boolean, now: Now) => {
    try {
      return decide.call(policy, slow, now) === true;
    } catch (error) {
      report(internals, error, 'policy');
      return false;
    }
  };
  return {
    onSuccess: guarded(policy.onSuccess),
    onFailure: guarded(policy.onFailure),
    reset: () => {
      try {
        policy.reset();
      } catch (error) {
        report(internals, error, 'policy');
      }
    },
    ...(policy.stats && { stats: (now: Now) => policy.stats!(now) }),
    ...(policy.snapshot && { snapshot: () => policy.snapshot!() }),
    ...(policy.restore && { restore: (state: unknown) => policy.restore!(state) }),
  };
}

/** Hands a contained error to the breaker's `reportError`. */
export function report(internals: BreakerInternals, error: unknown, source: ErrorSource): void {
  safeReport(internals.options.reportError, error, source, internals.name);
}

