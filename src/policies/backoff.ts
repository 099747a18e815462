import { checkDuration, invalid, requiredOptions } from '../check/check.js';

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Milliseconds for the first opening. */
  initial: number;
  /** The cap, in milliseconds. */
  max: number;
  /** Growth per opening. Default 2. */
  multiplier?: number | undefined;
  /**
   * `'none'` (the default): exactly `d = min(max, initial × multiplier^(openings − 1))`.
   * `'full'`: uniform in [1, d]. `'equal'`: uniform in [d/2, d]. Jitter keeps a fleet of
   * processes from probing a recovering dependency all at once.
   */
  jitter?: 'none' | 'full' | 'equal' | undefined;
  /** A source of numbers in [0, 1), for tests. Default `Math.random`. */
  random?: (() => number) | undefined;
}

/**
 * A `recoveryTimeout` that grows each time the circuit opens again without closing in between,
 * up to a cap; it starts over when the circuit closes.
 *
 * @example
 * ```ts
 * circuit(fn, { recoveryTimeout: exponentialBackoff({ initial: 1_000, max: 60_000, jitter: 'equal' }) });
 * // openings 1, 2, 3, ... stay open 1 s, 2 s, 4 s, ... up to 60 s (before jitter)
 * ```
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function exponentialBackoff(options: ExponentialBackoffOptions): (openings: number) => number {
  requiredOptions(options, 'exponentialBackoff', ['initial', 'max', 'multiplier', 'jitter', 'random']);
  const { initial, max, multiplier = 2, jitter = 'none', random = Math.random } = options;
  checkDuration(initial, 'initial');
  checkDuration(max, 'max');
  if (max < initial) throw new RangeError(`max must be at least initial (${initial}), got ${max}`);
  if (typeof multiplier !== 'number' || !(multiplier >= 1) || !Number.isFinite(multiplier)) invalid(RangeError, 'multiplier', 'a finite number of at least 1', multiplier);
  if (jitter !== 'none' && jitter !== 'full' && jitter !== 'equal') invalid(TypeError, 'jitter', '"none", "full" or "equal"', jitter);
  if (typeof random !== 'function') invalid(TypeError, 'random', 'a function', random);
  return (openings) => {
    const d = Math.min(max, initial * multiplier ** Math.max(0, openings - 1));
    if (jitter === 'full') return Math.max(1, random() * d);
    if (jitter === 'equal') return d / 2 + (random() * d) / 2;
    return d;
  };
}
