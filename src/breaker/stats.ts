import type { CircuitState } from '../machine/machine.js';
import type { WindowStats } from '../machine/trip-policy.js';

/**
 * A plain snapshot of a breaker for dashboards and health checks, from `breaker.stats()`. The
 * call counts are cumulative: state changes never reset them.
 */
export interface CircuitStats {
  /** Calls that succeeded. */
  readonly successes: number;
  /** Counted failures: errors `expectedError` counts, and values `isFailure` judged. */
  readonly failures: number;
  /** Counted failures whose error is named `TimeoutError` (as `AbortSignal.timeout` makes). */
  readonly timeouts: number;
  /** Calls refused without running, because the circuit was open, isolated or had no trial slot free. */
  readonly rejections: number;
  /** Calls handed to the fallback, whether or not it then threw. */
  readonly fallbacks: number;
  /** Calls that failed with an error `expectedError` does not count. */
  readonly ignored: number;
  /**
   * Calls their caller's `AbortSignal` cancelled: not run because it had aborted already, or
   * stopped by the abort (rejected with its reason, or an `AbortError`). Neither success nor failure.
   */
  readonly aborted: number;
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
  /**
   * Milliseconds until a call may be admitted: 0 when closed, unless a ramp refuses calls; then
   * until the growing share would admit one that came alone.
   */
  readonly retryAfter: number;
  /** True while the breaker is in shadow mode (the `shadow` option): it refuses nothing. */
  readonly shadow: boolean;
  /** Calls the breaker let through in shadow mode that it would have rejected (not in `rejections`). */
  readonly wouldReject: number;
  /**
   * The share of calls admitted now (above 0, below 1) while a `ramp` is under way after a close;
   * undefined otherwise.
   */
  readonly rampShare: number | undefined;
}

/** The cumulative counts a breaker keeps, by the names `stats()` reports them under. */
export type CallCounts = { -readonly [K in 'successes' | 'failures' | 'timeouts' | 'rejections' | 'fallbacks' | 'ignored' | 'aborted']: CircuitStats[K] };
