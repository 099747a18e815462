import { invalid } from '../check/check.js';
import type { PolicyFactory, TripPolicy, WindowRule } from '../machine/trip-policy.js';

/** What both window policies take besides the window itself. */
export interface RateOptions {
  /** Failure rate (0 < rate ≤ 1) at or above which the circuit opens. Default 0.5. */
  failureRate?: number | undefined;
  /**
   * Rate of slow calls (0 < rate ≤ 1) at or above which the circuit opens; a call is slow when it
   * takes at least the breaker's `slowCallDuration`. Default 1: only all-slow windows open it.
   */
  slowCallRate?: number | undefined;
  /** Calls the window must have seen before any rate can open the circuit. Default 10. */
  minimumCalls?: number | undefined;
}

export interface RateRule {
  readonly failureRate: number;
  readonly slowCallRate: number;
  readonly minimumCalls: number;
}

export function rateRule(options: RateOptions, maxCalls: number): RateRule {
  const rule = {
    failureRate: rate(options.failureRate, 'failureRate', 0.5),
    slowCallRate: rate(options.slowCallRate, 'slowCallRate', 1),
    minimumCalls: options.minimumCalls ?? Math.min(10, maxCalls),
  };
  if (!Number.isSafeInteger(rule.minimumCalls) || rule.minimumCalls < 1 || rule.minimumCalls > maxCalls) {
    invalid(RangeError, 'minimumCalls', `an integer from 1 to ${maxCalls}`, rule.minimumCalls);
  }
  return rule;
}

/**
 * A window policy's factory, which says when it judges slow calls (so the breaker needs
 * `slowCallDuration`), and what its window is, for a store that judges with the fleet.
 */
export function rateFactory(options: RateOptions, window: WindowRule, make: () => TripPolicy): PolicyFactory {
  return Object.assign(make, { window }, options.slowCallRate === undefined ? undefined : { judgesSlowCalls: true });
}

/** True when the counts in a window call for the circuit to open. */
export function tripped(rule: RateRule, total: number, failures: number, slow: number): boolean {
  return total >= rule.minimumCalls && (failures / total >= rule.failureRate || slow / total >= rule.slowCallRate);
}

/** A rate option: above 0 and at most 1, or `fallback` when absent. */
export function rate(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    invalid(typeof value === 'number' ? RangeError : TypeError, key, 'a rate above 0 and at most 1', value);
  }
  return value;
}
