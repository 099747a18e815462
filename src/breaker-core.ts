import type { CircuitBreaker } from './breaker.js';
import { CircuitIsolatedError, CircuitOpenError } from './core/errors.js';
import { describeValue } from './core/invalid-option.js';
import type { CircuitState, Machine, MachineConfig, Now } from './core/machine.js';
import { createMachine, recordFailure, recordSuccess, release, retryAfter } from './core/machine.js';
import type { ResolvedBreakerOptions } from './core/options.js';
import type { ErrorSource } from './core/report.js';
import { safeReport } from './core/report.js';
import type { PolicyFactory, TripPolicy } from './policies/trip-policy.js';
import type { CircuitEvent, CircuitEvents, ListenerTable } from './observe/events.js';
import type { CallCounts } from './observe/stats.js';
import type { StoreLink } from './store/store-link.js';

/** The open time used when a `recoveryTimeout` function throws or returns nonsense. */
const FALLBACK_OPEN_TIME = 30_000;

/**
 * What the guards need from a breaker on every call, behind the public {@link CircuitBreaker}:
 * the machine, a clock reader that cannot throw, and the contained listeners.
 */
export interface BreakerCore extends CallCounts {
  readonly machine: Machine;
  /** Replaced whole by `configure`, never mutated. */
  options: ResolvedBreakerOptions;
  readonly name: string;
  /** Reads the clock; a throwing or non-finite clock is reported and the last good reading reused. */
  readonly now: Now;
  /** The most recent counted failure, kept so rejections can say what opened the circuit. */
  lastFailure: unknown;
  /** `breaker.on` listeners by event; undefined until the first one. */
  listeners: ListenerTable | undefined;
  /** True while anything needs call durations: slow-call detection, or a duration listener. */
  timed: boolean;
  /** Clock reading of the last change of state; undefined while there was none. */
  since: number | undefined;
  readonly breaker: CircuitBreaker;
  /** The shared store this breaker publishes its changes to; undefined for a local breaker. */
  link: StoreLink | undefined;
  /** True while a change is made by hand (`open()`, `close()`...), which a store always keeps. */
  manual: boolean;
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
    listeners: undefined,
    timed: options.slowCallDuration !== undefined,
    successes: 0,
    failures: 0,
    timeouts: 0,
    rejections: 0,
    fallbacks: 0,
    ignored: 0,
    since: undefined,
    breaker,
    link: undefined,
    manual: false,
  };
  (core as { machine: Machine }).machine = createMachine(machineConfig(core, options, undefined), onTransition, core);
  return core;
}

function onTransition(core: BreakerCore, from: CircuitState, to: CircuitState): void {
  core.since = core.now();
  // What opened the circuit is history once it closes: a later refusal must not blame it.
  if (to === 'closed') core.lastFailure = undefined;
  const o = core.options;
  const breaker = core.breaker;
  const specific = to === 'open' ? 'onOpen' : to === 'closed' ? 'onClose' : to === 'half-open' ? 'onHalfOpen' : undefined;
  const listener = specific && o[specific];
  if (listener !== undefined) {
    try {
      listener(breaker);
    } catch (error) {
      report(core, error, specific!);
    }
  }
  if (to === 'open') emit(core, 'open', { from, cause: core.lastFailure });
  else if (to === 'closed') emit(core, 'close', { from });
  else if (to === 'half-open') emit(core, 'halfOpen', { from });
  if (o.onStateChange !== undefined) {
    try {
      o.onStateChange(from, to, breaker);
    } catch (error) {
      report(core, error, 'onStateChange');
    }
  }
  emit(core, 'stateChange', { from, to });
  core.link?.changed(from, to);
}

/**
 * The machine's configuration for `options`. The trip policy carries its counts over when the `policy`
 * option is the same factory as before (`previous`), and starts afresh when it changed.
 */
export function machineConfig(
  core: BreakerCore,
  options: ResolvedBreakerOptions,
  previous: { factory: PolicyFactory | undefined; policy: TripPolicy | undefined } | undefined,
): MachineConfig {
  const recovery = options.recoveryTimeout;
  const policy = previous !== undefined && previous.factory === options.policy ? previous.policy : makePolicy(core, options.policy);
  return {
    settings: options,
    policy,
    openDuration:
      typeof recovery === 'number'
        ? recovery
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
    ...(policy.stats && { stats: (now: Now) => policy.stats!(now) }),
    ...(policy.snapshot && { snapshot: () => policy.snapshot!() }),
    ...(policy.restore && { restore: (state: unknown) => policy.restore!(state) }),
  };
}

/** Hands a contained error to the breaker's `reportError`. */
export function report(core: BreakerCore, error: unknown, source: ErrorSource): void {
  safeReport(core.options.reportError, error, source, core.name);
}

/** Whether anyone listens to `event`: callers build a payload only then. */
export function listening(core: BreakerCore, event: CircuitEvent): boolean {
  return core.listeners?.[event] !== undefined;
}

/**
 * Calls the listeners of `event`, if any. What a listener throws is reported under the event's
 * name, and the others still run. On call paths, check {@link listening} before building the
 * payload, so that nobody listening costs no allocation.
 */
export function emit<E extends CircuitEvent>(core: BreakerCore, event: E, payload: CircuitEvents[E]): void {
  const listeners = core.listeners?.[event];
  if (listeners === undefined) return;
  for (const listener of listeners) {
    try {
      listener(payload);
    } catch (error) {
      report(core, error, event);
    }
  }
}

/** Whether anything needs call durations; kept current as listeners and options change. */
export function needsDurations(core: BreakerCore): boolean {
  const l = core.listeners;
  return core.options.slowCallDuration !== undefined || (l !== undefined && (l.success !== undefined || l.failure !== undefined || l.ignored !== undefined));
}

/** The start time of a call, read only while durations are needed (NaN otherwise). */
export function callStart(core: BreakerCore): number {
  return core.timed ? core.now() : Number.NaN;
}

/** Milliseconds since `start`, or NaN for a call that was not timed. */
function elapsed(core: BreakerCore, start: number): number {
  if (Number.isNaN(start)) return Number.NaN;
  // A clock that stepped back during the call hides how long it took; a negative duration
  // would reach listeners and histograms as nonsense, so the least it can have been stands.
  const ms = core.now() - start;
  return ms > 0 ? ms : 0;
}

function isSlow(core: BreakerCore, duration: number): boolean {
  const threshold = core.options.slowCallDuration;
  return threshold !== undefined && duration >= threshold;
}

/** Records a returned value: a success, unless `isFailure` judges it a failure. */
export function recordValue(core: BreakerCore, token: number, value: unknown, start: number): void {
  if (Number.isNaN(start) && core.options.isFailure === undefined) {
    // Untimed means no success listener and no slow-call rule: only the count and the machine.
    core.successes += 1;
    recordSuccess(core.machine, token, false, core.now);
    return;
  }
  const duration = elapsed(core, start);
  const slow = isSlow(core, duration);
  if (core.options.isFailure !== undefined && judgedFailure(core, value)) {
    countFailure(core, value, duration);
    recordFailure(core.machine, token, slow, core.now);
  } else {
    core.successes += 1;
    if (listening(core, 'success')) emit(core, 'success', { duration });
    recordSuccess(core.machine, token, slow, core.now);
  }
}

function countFailure(core: BreakerCore, error: unknown, duration: number): void {
  core.lastFailure = error;
  core.failures += 1;
  if (isTimeout(error)) core.timeouts += 1;
  if (listening(core, 'failure')) emit(core, 'failure', { error, duration });
}

// A rejection value is anything; reading its name must not throw into the breaker.
function isTimeout(error: unknown): boolean {
  try {
    return (error as { name?: unknown } | null)?.name === 'TimeoutError';
  } catch {
    return false;
  }
}

/** Counts a call a fallback served, and tells the listeners. */
export function noteFallback(core: BreakerCore, error: unknown): void {
  core.fallbacks += 1;
  if (listening(core, 'fallback')) emit(core, 'fallback', { error });
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
  const duration = elapsed(core, start);
  if (!counts(core, error)) {
    core.ignored += 1;
    if (listening(core, 'ignored')) emit(core, 'ignored', { error, duration });
    release(core.machine, token);
    return false;
  }
  countFailure(core, error, duration);
  recordFailure(core.machine, token, isSlow(core, duration), core.now);
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
  const error =
    state === 'isolated'
      ? new CircuitIsolatedError(core.name, core.lastFailure)
      : new CircuitOpenError(core.name, retryAfter(core.machine, core.now()), state === 'half-open' ? 'half-open' : 'open', core.lastFailure);
  core.rejections += 1;
  if (listening(core, 'rejected')) emit(core, 'rejected', { error });
  return error;
}
