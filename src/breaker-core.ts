import type { CircuitBreaker } from './breaker.js';
import { CircuitIsolatedError, CircuitOpenError } from './core/errors.js';
import { describeValue } from './core/invalid-option.js';
import type { CircuitState, Machine, MachineSettings, Now } from './core/machine.js';
import { createMachine, recordFailure, recordSuccess, release, retryAfter } from './core/machine.js';
import type { ResolvedBreakerOptions } from './core/options.js';
import type { ErrorSource } from './core/report.js';
import { safeReport } from './core/report.js';
import type { PolicyFactory, TripPolicy } from './policies/trip-policy.js';

/** The open time used when a `recoveryTimeout` function throws or returns nonsense. */
const FALLBACK_OPEN_TIME = 30_000;

/**
 * What the guards need from a breaker on every call, behind the public {@link CircuitBreaker}:
 * the machine, a clock reader that cannot throw, and the contained listeners.
 */
export interface BreakerCore {
  readonly machine: Machine;
  /** Replaced whole by `configure`, never mutated. */
  options: ResolvedBreakerOptions;
  readonly name: string;
  /** Reads the clock; a throwing or non-finite clock is reported and the last good reading reused. */
  readonly now: Now;
  /** The most recent counted failure, kept so rejections can say what opened the circuit. */
  lastFailure: unknown;
}

export function createCore(breaker: CircuitBreaker, name: string, options: ResolvedBreakerOptions): BreakerCore {
  let lastReading = 0;
  const core: BreakerCore = {
    machine: undefined as unknown as Machine,
    options,
    name,
    now: () => {
      try {
        const t = core.options.clock.now();
        if (typeof t !== 'number' || !Number.isFinite(t)) {
          throw new TypeError(`clock.now() must return a finite number, got ${describeValue(t)}`);
        }
        lastReading = t;
      } catch (error) {
        report(core, error, 'clock');
      }
      return lastReading;
    },
    lastFailure: undefined,
  };
  const onTransition = (from: CircuitState, to: CircuitState): void => {
    const o = core.options;
    const specific = to === 'open' ? 'onOpen' : to === 'closed' ? 'onClose' : to === 'half-open' ? 'onHalfOpen' : undefined;
    const listener = specific && o[specific];
    if (listener !== undefined) {
      try {
        listener(breaker);
      } catch (error) {
        report(core, error, specific!);
      }
    }
    if (o.onStateChange !== undefined) {
      try {
        o.onStateChange(from, to, breaker);
      } catch (error) {
        report(core, error, 'onStateChange');
      }
    }
  };
  (core as { machine: Machine }).machine = createMachine(machineSettings(core, options, undefined), onTransition);
  return core;
}

/**
 * The machine's settings for `options`. The trip policy carries its counts over when the `policy`
 * option is the same factory as before (`previous`), and starts afresh when it changed.
 */
export function machineSettings(core: BreakerCore, options: ResolvedBreakerOptions, previous: { factory: PolicyFactory | undefined; policy: TripPolicy | undefined } | undefined): MachineSettings {
  const recovery = options.recoveryTimeout;
  const policy = previous !== undefined && previous.factory === options.policy ? previous.policy : makePolicy(core, options.policy);
  return {
    failureThreshold: options.failureThreshold,
    halfOpenMaxCalls: options.halfOpenMaxCalls,
    successThreshold: options.successThreshold,
    policy,
    openDuration:
      typeof recovery === 'number'
        ? () => recovery
        : (openings) => {
            try {
              const ms = recovery(openings);
              if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) return ms;
              throw new RangeError(`recoveryTimeout(${openings}) must return a positive finite number of milliseconds, got ${describeValue(ms)}`);
            } catch (error) {
              report(core, error, 'recoveryTimeout');
              return FALLBACK_OPEN_TIME;
            }
          },
  };
}

// A policy is user code on the hot path: what it throws is reported, and the call's outcome
// stands as if the policy had said "stay closed".
function makePolicy(core: BreakerCore, factory: PolicyFactory | undefined): TripPolicy | undefined {
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
      report(core, error, 'policy');
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
        report(core, error, 'policy');
      }
    },
    ...(policy.snapshot && { snapshot: () => policy.snapshot!() }),
    ...(policy.restore && { restore: (state: unknown) => policy.restore!(state) }),
  };
}

function report(core: BreakerCore, error: unknown, source: ErrorSource): void {
  safeReport(core.options.reportError, error, source, core.name);
}

/** The start time of a call, read only when slow calls are being measured (NaN otherwise). */
export function callStart(core: BreakerCore): number {
  return core.options.slowCallDuration === undefined ? Number.NaN : core.now();
}

function isSlow(core: BreakerCore, start: number): boolean {
  const threshold = core.options.slowCallDuration;
  return threshold !== undefined && core.now() - start >= threshold;
}

/** Records a returned value: a success, unless `isFailure` judges it a failure. */
export function recordValue(core: BreakerCore, token: number, value: unknown, start: number): void {
  const slow = start === start && isSlow(core, start);
  if (core.options.isFailure !== undefined && judgedFailure(core, value)) {
    core.lastFailure = value;
    recordFailure(core.machine, token, slow, core.now);
  } else {
    recordSuccess(core.machine, token, slow, core.now);
  }
}

function judgedFailure(core: BreakerCore, value: unknown): boolean {
  try {
    return core.options.isFailure!(value) === true;
  } catch (error) {
    // A broken judge must not hide failures: count the call, and say why.
    report(core, error, 'isFailure');
    return true;
  }
}

/**
 * Records an error outcome of the call admitted with `token`. Returns whether it counted as a
 * failure; one that does not match `expectedError` only frees the call's half-open slot.
 */
export function recordError(core: BreakerCore, token: number, error: unknown, start: number): boolean {
  if (!counts(core, error)) {
    release(core.machine, token);
    return false;
  }
  core.lastFailure = error;
  recordFailure(core.machine, token, start === start && isSlow(core, start), core.now);
  return true;
}

function counts(core: BreakerCore, error: unknown): boolean {
  const isExpected = core.options.isExpected;
  if (isExpected === undefined) return true;
  try {
    return isExpected(error) === true;
  } catch (predicateError) {
    // A broken filter must not hide failures: count the error, and say why.
    report(core, predicateError, 'expectedError');
    return true;
  }
}

/** The error for a call the breaker does not admit. */
export function rejection(core: BreakerCore): CircuitOpenError {
  const state = core.machine.phase.state;
  if (state === 'isolated') return new CircuitIsolatedError(core.name, core.lastFailure);
  const wait = retryAfter(core.machine, core.now());
  return new CircuitOpenError(core.name, wait, state === 'half-open' ? 'half-open' : 'open', core.lastFailure);
}
