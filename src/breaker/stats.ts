import type { CircuitState } from '../machine/machine.js';
import type { WindowStats } from '../machine/trip-policy.js';

/** Cumulative call counts of a breaker, never reset by state changes. */
export interface CallCounts {
  /** Calls that succeeded. */
  successes: number;
  /** Counted failures: errors `expectedError` counts, and values `isFailure` judged. */
  failures: number;
  /** Counted failures whose error is named `TimeoutError` (as `AbortSignal.timeout` makes). */
  timeouts: number;
  /** Calls refused without running, because the circuit was open, isolated or had no trial slot free. */
  rejections: number;
  /** Calls handed to the fallback, whether or not it then threw. */
  fallbacks: number;
  /** Calls that failed with an error `expectedError` does not count. */
  ignored: number;
}

/** A plain snapshot of a breaker for dashboards and health checks, from `breaker.stats()`. */
export interface CircuitStats extends Readonly<CallCounts> {
  /** The breaker's name. */
  readonly name: string;
  /** The state now, as `breaker.state` reads it. */
  readonly state: CircuitState;
  /** Clock reading of the last change of state; undefined if it never changed. */
  readonly since: number | undefined;
  /** Consecutive counted failures. */
  readonly consecutiveFailures: number;
  /** What a window policy holds now; undefined for the default policy. */
  readonly window: WindowStats | undefined;
  /** Milliseconds until a call may be admitted: 0 when closed. */
  readonly retryAfter: number;
}
