import { describeValue } from '../check/check.js';
import { isCurrentToken, recordFailure, recordOpeningFailure, recordSuccess, release, retryAfter } from '../machine/machine.js';
import { CircuitIsolatedError, CircuitOpenError, CircuitRampError } from './errors.js';
import type { BreakerInternals } from './internals.js';
import { report } from './internals.js';
import { emit, listening } from './listeners.js';
import type { Fallback } from './fallback.js';

// How each outcome of a call is counted, told and handed to the machine.

/**
 * The start of a call on the duration clock, for a call that is timed; NaN otherwise. Nothing is
 * timed while nothing needs durations; with `measureDurations: { sampleRate }`, one call in N is.
 */
export function callStart(internals: BreakerInternals): number {
  const every = internals.timeEvery;
  if (every === 0) return Number.NaN;
  if (every !== 1) {
    if (internals.untilTimed > 1) {
      internals.untilTimed -= 1;
      return Number.NaN;
    }
    internals.untilTimed = every;
  }
  return durationClock(internals);
}

/**
 * Durations come from `performance.now()` under the default clock: monotonic, finer than
 * `Date.now()`, and one read with nothing to guard. An injected clock times calls too, so a test
 * on a manual clock drives durations as it drives states.
 */
function durationClock(internals: BreakerInternals): number {
  return internals.options.preciseDurations ? performance.now() : internals.now();
}

/** Milliseconds since `start`, or NaN for a call that was not timed. */
function elapsed(internals: BreakerInternals, start: number): number {
  if (Number.isNaN(start)) return Number.NaN;
  // A clock that stepped back during the call hides how long it took; a negative duration
  // would reach listeners and histograms as nonsense, so the least it can have been stands.
  const ms = durationClock(internals) - start;
  return ms > 0 ? ms : 0;
}

/** How many calls the duration of a call that started at `start` stands for (0: not timed). */
function weightOf(internals: BreakerInternals, start: number): number {
  return Number.isNaN(start) ? 0 : internals.timeEvery > 1 ? internals.timeEvery : 1;
}

function isSlow(internals: BreakerInternals, duration: number): boolean {
  const threshold = internals.options.slowCallDuration;
  return threshold !== undefined && duration >= threshold;
}

/** Records a returned value: a success, unless `isFailure` judges it a failure. */
export function recordValue(internals: BreakerInternals, token: number, value: unknown, start: number): void {
  if (Number.isNaN(start) && internals.options.isFailure === undefined && !listening(internals, 'success')) {
    // No listener, no slow-call rule, no judge: only the count and the machine.
    countSuccess(internals, token);
    recordSuccess(internals.machine, token, false, internals.now);
    return;
  }
  const duration = elapsed(internals, start);
  const slow = isSlow(internals, duration);
  if (internals.options.isFailure !== undefined && judgedFailure(internals, value)) {
    countFailure(internals, token, value, duration, start);
    failMachine(internals, token, value, slow);
  } else {
    countSuccess(internals, token);
    if (listening(internals, 'success')) emit(internals, 'success', { duration, weight: weightOf(internals, start) });
    recordSuccess(internals.machine, token, slow, internals.now);
  }
}

function countSuccess(internals: BreakerInternals, token: number): void {
  internals.successes += 1;
  // A success ends a run of failures, as it resets `failures`: the last one no longer explains
  // anything. A late success (admitted before the circuit opened) ends nothing.
  if (internals.lastFailure !== undefined && isCurrentToken(internals.machine, token)) internals.lastFailure = undefined;
}

function countFailure(internals: BreakerInternals, token: number, error: unknown, duration: number, start: number): void {
  // A late failure (admitted before the circuit opened) is counted, but the failure that opened
  // the circuit stays the one refusals blame.
  if (isCurrentToken(internals.machine, token)) internals.lastFailure = error;
  internals.failures += 1;
  if (isTimeout(error)) internals.timeouts += 1;
  if (listening(internals, 'failure')) emit(internals, 'failure', { error, duration, weight: weightOf(internals, start) });
}

// A rejection value is anything; reading its code must not throw into the breaker.
function isBulkheadRefusal(error: unknown): boolean {
  try {
    return (error as { code?: unknown } | null)?.code === 'CIRCUITRY_BULKHEAD_FULL';
  } catch {
    return false;
  }
}

function isTimeout(error: unknown): boolean {
  return nameOf(error) === 'TimeoutError';
}

// A rejection value is anything; reading its name must not throw into the breaker.
function nameOf(error: unknown): unknown {
  try {
    return (error as { name?: unknown } | null)?.name;
  } catch {
    return undefined;
  }
}

/**
 * Whether a call whose caller's `signal` applies stopped because of the abort: it failed after the
 * signal aborted, with its reason, or with an `AbortError` of its own (libraries that make their
 * own). Any other error, the breaker's own `TimeoutError` included, still says something about
 * the dependency.
 */
export function stoppedByAbort(signal: AbortSignal, error: unknown): boolean {
  return signal.aborted && (error === signal.reason || nameOf(error) === 'AbortError');
}

/**
 * Counts a call its caller cancelled: neither success nor failure. `token` is the call's when it
 * was admitted (its trial slot is freed), undefined when it was not run at all.
 */
export function recordAborted(internals: BreakerInternals, token: number | undefined, error: unknown, start: number): void {
  internals.aborted += 1;
  if (listening(internals, 'aborted')) {
    emit(internals, 'aborted', token === undefined ? { error, duration: 0, weight: 1 } : { error, duration: elapsed(internals, start), weight: weightOf(internals, start) });
  }
  if (token !== undefined) release(internals.machine, token);
}

/** Counts a call a fallback served, and tells the listeners. */
export function noteFallback(internals: BreakerInternals, error: unknown): void {
  internals.fallbacks += 1;
  if (listening(internals, 'fallback')) emit(internals, 'fallback', { error });
}

function judgedFailure(internals: BreakerInternals, value: unknown): boolean {
  try {
    return internals.options.isFailure!(value) === true;
  } catch (error) {
    // A broken judge must not hide failures: count the call, and say why.
    report(internals, error, 'isFailure');
    return true;
  }
}

/**
 * Records an error outcome of the call admitted with `token`. Returns whether it counted as a
 * failure; one that does not match `expectedError` only frees the call's half-open slot.
 */
export function recordError(internals: BreakerInternals, token: number, error: unknown, start: number): boolean {
  const duration = elapsed(internals, start);
  if (!counts(internals, error)) {
    internals.ignored += 1;
    if (listening(internals, 'ignored')) emit(internals, 'ignored', { error, duration, weight: weightOf(internals, start) });
    release(internals.machine, token);
    return false;
  }
  countFailure(internals, token, error, duration, start);
  failMachine(internals, token, error, isSlow(internals, duration));
  return true;
}

/**
 * Hands a counted failure to the machine: it opens the circuit at once when `openPeriodOf` reads
 * an open period from the failure (a `Retry-After`), and counts as any failure otherwise.
 */
function failMachine(internals: BreakerInternals, token: number, failure: unknown, slow: boolean): void {
  const period = internals.options.openPeriodOf && openPeriodFrom(internals, token, failure);
  if (period === undefined) recordFailure(internals.machine, token, slow, internals.now);
  else recordOpeningFailure(internals.machine, token, internals.now(), { period, local: !internals.options.shareOpenPeriodOf });
}

function openPeriodFrom(internals: BreakerInternals, token: number, failure: unknown): number | undefined {
  // A late failure speaks of a state gone by: it opens nothing, so its period is not asked for.
  if (!isCurrentToken(internals.machine, token)) return undefined;
  const { openPeriodOf, minOpenPeriod, maxOpenPeriod } = internals.options;
  try {
    const ms = openPeriodOf!(failure);
    if (ms === undefined) return undefined;
    if (typeof ms !== 'number' || ms !== ms) throw new TypeError(`openPeriodOf must return milliseconds or undefined, got ${describeValue(ms)}`);
    // The period comes from the dependency, input from elsewhere: a Retry-After of 10^9 s must
    // not shut a service off for decades, nor one of 0 turn every call into a trial.
    return Math.min(Math.max(ms, minOpenPeriod), maxOpenPeriod);
  } catch (error) {
    // A broken reader must not hide the failure: it counts as any other.
    report(internals, error, 'openPeriodOf');
    return undefined;
  }
}

/**
 * Records an error outcome, as {@link recordError}, and says whether `fallback` serves the caller:
 * the one rule both call paths follow, only a counted failure is served; an ignored error reaches
 * the caller as it is, since it says nothing about the dependency.
 */
export function servedByFallback(internals: BreakerInternals, token: number, error: unknown, start: number, fallback: Fallback | undefined): fallback is Fallback {
  return recordError(internals, token, error, start) && fallback !== undefined;
}

function counts(internals: BreakerInternals, error: unknown): boolean {
  // A full bulkhead inside the circuit refused the call before it reached the dependency: the
  // caller's side is busy, which says nothing of the dependency's health.
  if (isBulkheadRefusal(error)) return false;
  const isExpected = internals.options.isExpected;
  if (isExpected === undefined) return true;
  try {
    return isExpected(error) === true;
  } catch (predicateError) {
    // A broken filter must not hide failures: count the error, and say why.
    report(internals, predicateError, 'expectedError');
    return true;
  }
}

/** The error for a call the breaker does not admit. */
export function rejection(internals: BreakerInternals): CircuitOpenError {
  const state = internals.machine.phase.state;
  const error =
    state === 'isolated'
      ? new CircuitIsolatedError(internals.name, internals.lastFailure)
      : // Only a ramp refuses a call while closed; disabled refuses none.
        new (state === 'closed' ? CircuitRampError : CircuitOpenError)(internals.name, retryAfter(internals.machine, internals.now()), state as 'open' | 'half-open' | 'closed', internals.lastFailure);
  internals.rejections += 1;
  if (listening(internals, 'rejected')) emit(internals, 'rejected', { error });
  return error;
}
