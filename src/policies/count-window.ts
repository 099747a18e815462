import type { RateOptions } from './rate.js';
import { rateFactory, rateRule, tripped } from './rate.js';
import type { PolicyFactory } from '../machine/trip-policy.js';
import { exactKeys, invalid, requiredOptions } from '../check/check.js';

/** Options of {@link countWindow}. */
export interface CountWindowOptions extends RateOptions {
  /** How many of the most recent calls the window holds. */
  size: number;
}

const FAILED = 1;
const SLOW = 2;

/**
 * A failure-rate policy over the last `size` calls (resilience4j's COUNT_BASED window): the
 * circuit opens when the failure rate, or the slow-call rate, reaches its threshold once at least
 * `minimumCalls` calls were seen. O(1) per call whatever the size: a ring of outcomes and running
 * counts.
 *
 * @example
 * ```ts
 * circuit(fn, { policy: countWindow({ size: 100, failureRate: 0.5, minimumCalls: 20 }) });
 * ```
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function countWindow(options: CountWindowOptions): PolicyFactory {
  requiredOptions(options, 'countWindow', ['size', 'failureRate', 'slowCallRate', 'minimumCalls']);
  const size = options.size;
  if (!Number.isSafeInteger(size) || size < 1 || size > 1_000_000) invalid(RangeError, 'size', 'an integer from 1 to 1,000,000', size);
  const rule = rateRule(options, size);
  return rateFactory(options, { kind: 'count', size, ...rule }, () => {
    let outcomes = new Uint8Array(size);
    let next = 0;
    let total = 0;
    let failures = 0;
    let slow = 0;
    const push = (outcome: number): boolean => {
      if (total === size) {
        const old = outcomes[next]!;
        failures -= old & FAILED;
        slow -= (old & SLOW) >> 1;
      } else {
        total += 1;
      }
      outcomes[next] = outcome;
      next = next + 1 === size ? 0 : next + 1;
      failures += outcome & FAILED;
      slow += (outcome & SLOW) >> 1;
      return tripped(rule, total, failures, slow);
    };
    return {
      onSuccess: (isSlow) => push(isSlow ? SLOW : 0),
      onFailure: (isSlow) => push(isSlow ? FAILED | SLOW : FAILED),
      reset: () => {
        outcomes = new Uint8Array(size);
        next = total = failures = slow = 0;
      },
      stats: () => ({ calls: total, failures, slowCalls: slow }),
      // Oldest first, so a restore does not depend on where the ring happened to start.
      snapshot: () => ({ outcomes: Array.from({ length: total }, (_, i) => outcomes[(next - total + i + size) % size]!) }),
      restore: (state) => {
        const { outcomes: list } = exactKeys(state, 'countWindow snapshot', ['outcomes']);
        if (!Array.isArray(list) || list.length > size || !list.every((o) => o === 0 || o === 1 || o === 2 || o === 3)) {
          invalid(TypeError, 'countWindow snapshot outcomes', `an array of at most ${size} values 0 to 3`, list);
        }
        outcomes = new Uint8Array(size);
        outcomes.set(list as number[]);
        total = list.length;
        next = total % size;
        failures = (list as number[]).reduce((n, o) => n + (o & FAILED), 0);
        slow = (list as number[]).reduce((n, o) => n + ((o & SLOW) >> 1), 0);
      },
    };
  });
}
