import type { Clock } from '../machine/clock.js';
import { systemClock } from '../machine/clock.js';
import { duration, invalid, optionsObject } from '../check/check.js';

/** Options of {@link retryBudget}. An option set to `undefined` is an option left out. */
export interface RetryBudgetOptions {
  /**
   * Retries allowed per call, over the last `ttl` ms: 0.2 lets retries add at most 20% to the
   * load the calls make. Default 0.2.
   */
  ratio?: number | undefined;
  /**
   * Retries a second allowed whatever the calls, so that a quiet service can still retry: over
   * the last `ttl` ms, `minPerSecond × ttl / 1000` retries. Default 10.
   */
  minPerSecond?: number | undefined;
  /** Milliseconds a call or a retry counts for. Default 10,000. */
  ttl?: number | undefined;
  /** The time source. Default `Date.now()`. */
  clock?: Clock | undefined;
}

/** A retry budget's counts since it was made: `budget.stats()`. */
export interface RetryBudgetStats {
  /** Calls made through it (each first attempt). */
  readonly deposits: number;
  /** Retries it allowed. */
  readonly withdrawals: number;
  /** Retries it refused: those calls failed with their last error instead. */
  readonly refused: number;
  /** Retries it would allow now. */
  readonly available: number;
}

/**
 * A share of recent calls that may be retried, for one dependency: give the same budget to every
 * `retry` that calls it. When the dependency fails for everyone, retries stop at the budget
 * instead of multiplying the load by `attempts`.
 */
export interface RetryBudget {
  /** Records a call (a first attempt); `retry` does this for each call it makes. */
  deposit(): void;
  /** Takes one retry out of the budget if it allows one now, and says whether it did. */
  tryWithdraw(): boolean;
  /** Its counts since it was made, and what it would allow now. */
  stats(): RetryBudgetStats;
}

// The window is cut into this many slices, each dropped whole once it is older than `ttl`.
const SLICES = 10;

/**
 * A budget for `retry(fn, { budget })`: over the last `ttl` ms, retries may number at most
 * `ratio` × the calls made plus `minPerSecond × ttl / 1000`, as Finagle's `RetryBudget` and
 * Envoy's retry budget allow. A retry it refuses is not made: the call fails with its last
 * error, as when attempts run out.
 *
 * @example
 * ```ts
 * const usersBudget = retryBudget({ ratio: 0.2, minPerSecond: 10 });
 * const getUser = retry(fetchUser, { attempts: 3, budget: usersBudget });
 * const listUsers = retry(() => api.list(), { attempts: 3, budget: usersBudget });
 * ```
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  const o = optionsObject(options, 'retryBudget', ['ratio', 'minPerSecond', 'ttl', 'clock']);
  const ratio = nonNegative(o.ratio, 'ratio', 0.2);
  const minPerSecond = nonNegative(o.minPerSecond, 'minPerSecond', 10);
  // Compared with clock readings, never handed to a timer: any finite length works.
  const ttl = duration(o, 'ttl', 10_000);
  const clock = (o.clock ?? systemClock) as Clock;
  if (typeof clock?.now !== 'function') invalid(TypeError, 'clock', 'an object with a now() method', o.clock);
  const reserve = (minPerSecond * ttl) / 1000;
  const sliceLength = ttl / SLICES;
  const depositsBySlice = new Array<number>(SLICES).fill(0);
  const withdrawalsBySlice = new Array<number>(SLICES).fill(0);
  const totals = { deposits: 0, withdrawals: 0, refused: 0 };
  let lastReading = 0;
  let slice = sliceAt(now());

  // A clock that throws or answers nonsense must not fail the call that asked: the last good
  // reading stands.
  function now(): number {
    try {
      const t = clock.now();
      if (Number.isFinite(t)) lastReading = t;
    } catch {
      // The last reading stands.
    }
    return lastReading;
  }

  function sliceAt(t: number): number {
    return Math.floor(t / sliceLength);
  }

  // Empties the slices that have expired since the last reading. A clock that stepped back
  // expires nothing: the counts stay until time passes them again.
  function advance(): number {
    const current = sliceAt(now());
    const expired = Math.min(current - slice, SLICES);
    for (let i = 1; i <= expired; i++) {
      const index = slot(slice + i);
      depositsBySlice[index] = 0;
      withdrawalsBySlice[index] = 0;
    }
    if (current > slice) slice = current;
    return slot(slice);
  }

  function available(): number {
    advance();
    let deposits = 0;
    let withdrawals = 0;
    for (let i = 0; i < SLICES; i++) {
      deposits += depositsBySlice[i]!;
      withdrawals += withdrawalsBySlice[i]!;
    }
    return Math.max(0, Math.floor(ratio * deposits + reserve) - withdrawals);
  }

  return {
    deposit() {
      depositsBySlice[advance()]! += 1;
      totals.deposits += 1;
    },
    tryWithdraw() {
      if (available() < 1) {
        totals.refused += 1;
        return false;
      }
      withdrawalsBySlice[slot(slice)]! += 1;
      totals.withdrawals += 1;
      return true;
    },
    stats: () => ({ ...totals, available: available() }),
  };
}

// A slice's place in the ring; a clock before 1970 gives negative slices.
function slot(slice: number): number {
  return ((slice % SLICES) + SLICES) % SLICES;
}

function nonNegative(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalid(typeof value === 'number' ? RangeError : TypeError, key, 'a finite number, 0 or more', value);
  }
  return value;
}

/** True when `value` has a budget's methods: one from {@link retryBudget}, or the user's own. */
export function isRetryBudget(value: unknown): value is RetryBudget {
  const budget = value as Partial<RetryBudget> | null;
  return typeof budget === 'object' && budget !== null && typeof budget.deposit === 'function' && typeof budget.tryWithdraw === 'function';
}
