/**
 * Decides when a closed circuit opens. A breaker asks its policy after every counted outcome
 * while closed; the policy keeps whatever counts it needs. Write your own by implementing this
 * interface and passing `() => yourPolicy` as the `policy` option.
 *
 * Time is passed as a reader, `now`, so a policy that does not need time never reads the clock.
 *
 * @example
 * ```ts
 * // Opens after 3 failures, whatever came between them, until a success streak of 10.
 * const forgiving = (): TripPolicy => {
 *   let failures = 0;
 *   let streak = 0;
 *   return {
 *     onSuccess: () => {
 *       if (++streak >= 10) failures = 0;
 *       return false;
 *     },
 *     onFailure: () => {
 *       streak = 0;
 *       return ++failures >= 3;
 *     },
 *     reset: () => {
 *       failures = 0;
 *       streak = 0;
 *     },
 *   };
 * };
 * circuit(fn, { policy: forgiving });
 * ```
 */
export interface TripPolicy {
  /** A call succeeded; `slow` when it took at least `slowCallDuration`. True opens the circuit. */
  onSuccess(slow: boolean, now: () => number): boolean;
  /** A call failed with a counted failure. True opens the circuit. */
  onFailure(slow: boolean, now: () => number): boolean;
  /** Forget everything: the circuit closed again, or was reset. */
  reset(): void;
  /** Plain JSON data that {@link TripPolicy.restore} accepts, for `breaker.toJSON()`. */
  snapshot?(): unknown;
  /** Takes back what `snapshot` gave; throws a `TypeError` or `RangeError` for anything else. */
  restore?(state: unknown): void;
  /** What the window holds as of `now()`, for `breaker.stats()`. */
  stats?(now: () => number): WindowStats;
}

/** Makes a fresh policy for each breaker: the value of the `policy` option. */
export interface PolicyFactory {
  (): TripPolicy;
  /**
   * True when the policy opens the circuit on slow calls (a window's `slowCallRate`): the breaker
   * then refuses to be made without `slowCallDuration`, which says what slow is.
   */
  readonly judgesSlowCalls?: boolean | undefined;
  /**
   * What the window holds and when it trips, as plain data (`countWindow` and `timeWindow` set
   * it): a store that judges with the fleet (`judge: 'fleet'`) judges the same window over every
   * process's calls. A policy without it can only judge in its own process.
   */
  readonly window?: WindowRule | undefined;
}

/**
 * A window policy as data: which calls the window holds (the last `size`, or the last `duration`
 * ms cut into `buckets` slices) and the rates at which it trips once it holds `minimumCalls`.
 */
export type WindowRule = (
  | {
      /** A count window (`countWindow`). */
      readonly kind: 'count';
      /** How many of the most recent calls it holds. */
      readonly size: number;
    }
  | {
      /** A time window (`timeWindow`). */
      readonly kind: 'time';
      /** Milliseconds of history it holds. */
      readonly duration: number;
      /** Slices it is cut into; the oldest expires whole. */
      readonly buckets: number;
    }
) & {
  /** Failure rate at or above which it trips. */
  readonly failureRate: number;
  /** Slow-call rate at or above which it trips. */
  readonly slowCallRate: number;
  /** Calls it must hold before any rate trips it. */
  readonly minimumCalls: number;
};

/** The counts in a window policy's window. */
export interface WindowStats {
  /** Calls the window holds. */
  readonly calls: number;
  /** Counted failures among them. */
  readonly failures: number;
  /** Slow calls among them (at or above `slowCallDuration`), failed or not. */
  readonly slowCalls: number;
}
