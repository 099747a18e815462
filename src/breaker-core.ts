import type { CircuitBreaker } from './breaker.js';
import { CircuitOpenError } from './core/errors.js';
import type { CircuitState, Machine, Now } from './core/machine.js';
import { createMachine, release, recordFailure, retryAfter } from './core/machine.js';
import type { ResolvedBreakerOptions } from './core/options.js';
import { describeValue } from './core/invalid-option.js';
import { safeReport } from './core/report.js';

/**
 * What the guards need from a breaker on every call, behind the public {@link CircuitBreaker}:
 * the machine, a clock reader that cannot throw, and the contained listeners.
 */
export interface BreakerCore {
  readonly machine: Machine;
  readonly options: ResolvedBreakerOptions;
  readonly name: string;
  /** Reads the clock; a throwing or non-finite clock is reported and the last good reading reused. */
  readonly now: Now;
  /** The most recent counted failure, kept so rejections can say what opened the circuit. */
  lastFailure: unknown;
}

export function createCore(breaker: CircuitBreaker, name: string, options: ResolvedBreakerOptions): BreakerCore {
  const { clock, reportError } = options;
  let lastReading = 0;
  const now = (): number => {
    try {
      const t = clock.now();
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        throw new TypeError(`clock.now() must return a finite number, got ${describeValue(t)}`);
      }
      lastReading = t;
    } catch (error) {
      safeReport(reportError, error, 'clock', name);
    }
    return lastReading;
  };
  const onTransition = (from: CircuitState, to: CircuitState): void => {
    const [listener, source] =
      to === 'open' ? [options.onOpen, 'onOpen' as const]
      : to === 'closed' ? [options.onClose, 'onClose' as const]
      : [options.onHalfOpen, 'onHalfOpen' as const];
    if (listener !== undefined) {
      try {
        listener(breaker);
      } catch (error) {
        safeReport(reportError, error, source, name);
      }
    }
    if (options.onStateChange !== undefined) {
      try {
        options.onStateChange(from, to, breaker);
      } catch (error) {
        safeReport(reportError, error, 'onStateChange', name);
      }
    }
  };
  return { machine: createMachine(options, onTransition), options, name, now, lastFailure: undefined };
}

/**
 * Records an error outcome of the call admitted with `token`. Returns whether it counted as a
 * failure; one that does not match `expectedError` only frees the call's half-open slot.
 */
export function recordError(core: BreakerCore, token: number, error: unknown): boolean {
  if (!counts(core, error)) {
    release(core.machine, token);
    return false;
  }
  core.lastFailure = error;
  recordFailure(core.machine, token, core.now);
  return true;
}

function counts(core: BreakerCore, error: unknown): boolean {
  const isExpected = core.options.isExpected;
  if (isExpected === undefined) return true;
  try {
    return isExpected(error) === true;
  } catch (predicateError) {
    // A broken filter must not hide failures: count the error, and say why.
    safeReport(core.options.reportError, predicateError, 'expectedError', core.name);
    return true;
  }
}

/** The error for a call the breaker does not admit. */
export function rejection(core: BreakerCore): CircuitOpenError {
  const wait = retryAfter(core.machine, core.now());
  const state = core.machine.phase.state === 'half-open' ? 'half-open' : 'open';
  return new CircuitOpenError(core.name, wait, state, core.lastFailure);
}
