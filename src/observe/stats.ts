import type { CircuitState } from '../core/machine.js';

/** Cumulative call counts of a breaker, never reset by state changes. */
export interface CallCounts {
  successes: number;
  failures: number;
  /** Counted failures whose error is named `TimeoutError` (as `AbortSignal.timeout` makes). */
  timeouts: number;
  rejections: number;
  fallbacks: number;
  ignored: number;
}

/** A plain snapshot of a breaker for dashboards and health checks, from `breaker.stats()`. */
export interface CircuitStats extends Readonly<CallCounts> {
  readonly name: string;
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

/** The counts in a window policy's window. */
export interface WindowStats {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}
