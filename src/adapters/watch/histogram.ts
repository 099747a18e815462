import { invalid } from '../../check/check.js';

/** Call durations of one breaker and outcome, in seconds, as cumulative-ready bucket counts. */
export interface DurationHistogram {
  /** Upper bounds, increasing; the `+Inf` bucket is `count`. */
  readonly bounds: readonly number[];
  /** Observations at or below each bound, not yet cumulated: `counts[i]` is for `bounds[i]`. */
  readonly counts: number[];
  count: number;
  sum: number;
}

/** A few bounds, in seconds, from a fast cache hit to a slow remote call. */
const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10];

export function createHistogram(bounds: readonly number[]): DurationHistogram {
  return { bounds, counts: bounds.map(() => 0), count: 0, sum: 0 };
}

/**
 * Adds one timed call that stands for `weight` calls (a breaker's `measureDurations` may time one
 * call in N, and says so in the event's `weight`).
 */
export function observeSeconds(histogram: DurationHistogram, seconds: number, weight = 1): void {
  const { bounds, counts } = histogram;
  // A handful of bounds: a linear scan beats a binary search, and the call path pays for it.
  let i = 0;
  while (i < bounds.length && seconds > bounds[i]!) i++;
  if (i < bounds.length) counts[i]! += weight;
  histogram.count += weight;
  histogram.sum += seconds * weight;
}

/** The `buckets` option: finite upper bounds in seconds, strictly increasing. */
export function checkBuckets(value: unknown, option: string): readonly number[] {
  if (value === undefined) return DEFAULT_BUCKETS;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > (value[i - 1] as number)));
  if (!ok) invalid(TypeError, option, 'a non-empty array of increasing positive numbers of seconds', value);
  return [...(value as number[])];
}
