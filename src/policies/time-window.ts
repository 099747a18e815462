import { checkDuration, exactKeys, invalid, requiredOptions } from '../check/check.js';
import type { RateOptions } from './rate.js';
import { rateFactory, rateRule, tripped } from './rate.js';
import type { PolicyFactory } from '../machine/trip-policy.js';

/** Options of {@link timeWindow}. */
export interface TimeWindowOptions extends RateOptions {
  /** Milliseconds of history the window holds. */
  duration: number;
  /** Slices the window is cut into; the oldest slice expires whole. Default 10. */
  buckets?: number | undefined;
}

const SMALL_INTEGER_LIMIT = 2 ** 30;

interface Bucket {
  index: number;
  total: number;
  failures: number;
  slow: number;
}

/**
 * A failure-rate policy over the last `duration` ms (resilience4j's TIME_BASED window), cut into
 * `buckets` slices: the circuit opens when the failure rate, or the slow-call rate, reaches its
 * threshold once at least `minimumCalls` calls were seen in the window.
 *
 * Only slices that saw calls are kept, in time order, and each is dropped exactly once when it
 * falls out of the window. So the cost per call is O(1) (amortised) whatever the window's size,
 * and any idle gap, an hour or a year, leaves no stale counts behind.
 *
 * @example
 * ```ts
 * circuit(fn, { policy: timeWindow({ duration: 60_000, failureRate: 0.5, minimumCalls: 20 }) });
 * ```
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function timeWindow(options: TimeWindowOptions): PolicyFactory {
  requiredOptions(options, 'timeWindow', ['duration', 'buckets', 'failureRate', 'slowCallRate', 'minimumCalls']);
  const { duration, buckets = 10 } = options;
  checkDuration(duration, 'duration');
  if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > 10_000) invalid(RangeError, 'buckets', 'an integer from 1 to 10,000', buckets);
  const rule = rateRule(options, Number.MAX_SAFE_INTEGER);
  const width = duration / buckets;
  return rateFactory(options, { kind: 'time', duration, buckets, ...rule }, () => {
    // A ring of the slices that saw calls, oldest at `head`; slots are reused, never reallocated.
    const ring: Bucket[] = Array.from({ length: buckets }, () => ({ index: 0, total: 0, failures: 0, slow: 0 }));
    // Slice numbers count from `origin`, the first time seen, so they stay small integers: counted
    // from the epoch they would leave V8's small-integer range and cost several times as much.
    let origin = Number.NaN;
    let head = 0;
    let length = 0;
    let total = 0;
    let failures = 0;
    let slow = 0;
    const expire = (index: number): void => {
      while (length > 0 && ring[head]!.index <= index - buckets) {
        const old = ring[head]!;
        total -= old.total;
        failures -= old.failures;
        slow -= old.slow;
        head = head + 1 === buckets ? 0 : head + 1;
        length -= 1;
      }
    };
    const sliceOf = (t: number): number => {
      if (origin !== origin) origin = t;
      let index = Math.floor((t - origin) / width);
      if (index >= SMALL_INTEGER_LIMIT) index = rebase(t, index);
      const newest = length > 0 ? ring[(head + length - 1) % buckets]!.index : 0;
      if (index < newest) {
        // The clock stepped back, or the slices came from a clock ahead of this one: the reading
        // is taken as the newest slice's time and the slices age from here, so none outlives
        // the window by the size of the step. Anchored on `t` itself, so it is exact at any magnitude.
        origin = t - newest * width;
        index = newest;
      }
      return index;
    };
    // Once in a long while (2^30 slices), renumber the live slices from the current one.
    const rebase = (t: number, index: number): number => {
      expire(index);
      if (length === 0) {
        // Nothing live to keep in place: start afresh from `t`, which stays exact however far
        // `origin` was (a restored slice from the far end of the number line).
        origin = t;
        return 0;
      }
      const shift = index - buckets;
      origin += shift * width;
      for (let i = 0; i < length; i++) ring[(head + i) % buckets]!.index -= shift;
      return Math.floor((t - origin) / width);
    };
    const push = (failed: number, isSlow: boolean, now: () => number): boolean => {
      const index = sliceOf(now());
      expire(index);
      let bucket = length > 0 ? ring[(head + length - 1) % buckets]! : undefined;
      // A clock that stepped back lands in the newest slice rather than reordering the ring.
      if (bucket === undefined || bucket.index < index) {
        bucket = ring[(head + length) % buckets]!;
        bucket.index = index;
        bucket.total = bucket.failures = bucket.slow = 0;
        length += 1;
      }
      const s = isSlow ? 1 : 0;
      bucket.total += 1;
      bucket.failures += failed;
      bucket.slow += s;
      total += 1;
      failures += failed;
      slow += s;
      return tripped(rule, total, failures, slow);
    };
    return {
      onSuccess: (isSlow, now) => push(0, isSlow, now),
      onFailure: (isSlow, now) => push(1, isSlow, now),
      reset: () => {
        head = length = total = failures = slow = 0;
      },
      stats: (now) => {
        if (length > 0) expire(sliceOf(now()));
        return { calls: total, failures, slowCalls: slow };
      },
      // Slices are saved by their start time on the breaker's clock, so they mean the same in
      // another process.
      snapshot: () => ({
        buckets: Array.from({ length }, (_, i) => {
          const b = ring[(head + i) % buckets]!;
          return [origin + b.index * width, b.total, b.failures, b.slow];
        }),
      }),
      restore: (state) => {
        const { buckets: list } = exactKeys(state, 'timeWindow snapshot', ['buckets']);
        const valid =
          Array.isArray(list) &&
          list.length <= buckets &&
          list.every(
            (b, i) =>
              Array.isArray(b) &&
              b.length === 4 &&
              Number.isFinite(b[0]) &&
              b.slice(1).every((n) => Number.isSafeInteger(n)) &&
              b[1] >= 1 &&
              b[2] >= 0 &&
              b[3] >= 0 &&
              b[2] <= b[1] &&
              b[3] <= b[1] &&
              (i === 0 || b[0] > (list[i - 1] as number[])[0]!),
          );
        if (!valid) {
          invalid(TypeError, 'timeWindow snapshot buckets', `at most ${buckets} [start, total, failures, slow] rows in time order`, list);
        }
        const rows = list as number[][];
        head = length = total = failures = slow = 0;
        origin = rows.length > 0 ? rows[0]![0]! : Number.NaN;
        for (const [start, t, f, s] of rows) {
          Object.assign(ring[length]!, { index: Math.round((start! - origin) / width), total: t, failures: f, slow: s });
          length += 1;
          total += t!;
          failures += f!;
          slow += s!;
        }
      },
    };
  });
}
