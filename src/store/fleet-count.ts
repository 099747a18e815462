/**
 * Judging with the fleet (`judge: 'fleet'`): what a process counts for its breakers between two
 * flushes, and which of them it sends. Pure functions over plain data; `shared-store.ts` holds a
 * tally per breaker and carries the flushes out.
 */
import { invalid } from '../check/check.js';
import type { CircuitState, WindowRule } from '../breaker/attached-breaker.js';
import type { BackendClock, Health } from './entry-state.js';
import type { CountBatch, SharedStateBackend, SharedStateCounting } from './shared-record.js';

/** Who opens a breaker's circuit: its own process's window, or the window of the fleet's calls. */
export type Judge = 'process' | 'fleet';

/** Outcomes a breaker counted since its last flush. */
export interface Tally {
  calls: number;
  failures: number;
  slowCalls: number;
}

export const emptyTally = (): Tally => ({ calls: 0, failures: 0, slowCalls: 0 });

/** Adds one outcome to `tally`. */
export function addOutcome(tally: Tally, failed: boolean, slow: boolean): void {
  tally.calls += 1;
  if (failed) tally.failures += 1;
  if (slow) tally.slowCalls += 1;
}

export function clearTally(tally: Tally): void {
  tally.calls = tally.failures = tally.slowCalls = 0;
}

/** The `judge` option, checked; `'fleet'` needs a backend that counts (version 1). */
export function judgeOf(value: unknown, backend: SharedStateBackend): { judge: Judge; counting: SharedStateCounting | undefined } {
  if (value === undefined || value === 'process') return { judge: 'process', counting: undefined };
  if (value !== 'fleet') invalid(TypeError, 'judge', "'process' or 'fleet'", value);
  if (backend.counting?.version !== 1) invalid(TypeError, 'judge', "'process' with a backend that has no counting capability (version 1)", value);
  return { judge: 'fleet', counting: backend.counting };
}

/**
 * The window the fleet judges for a breaker of a `judge: 'fleet'` store: its trip policy's.
 * @throws TypeError naming the option when the breaker counts consecutive failures (or has a
 *   policy with no window rule): the fleet has no window of it to judge.
 */
export function fleetWindowOf(window: WindowRule | undefined, name: string): WindowRule {
  if (window === undefined) {
    throw new TypeError(
      `judge: 'fleet' needs a window policy (countWindow or timeWindow), but breaker "${name}" has none: it counts consecutive failures, or its policy gives no window rule`,
    );
  }
  return window;
}

/** What a flush needs of one breaker. */
export interface CountSource {
  readonly tally: Tally;
  readonly state: CircuitState;
  /** The store decides for this breaker (no outage, record usable, store open). */
  readonly shared: boolean;
  readonly clock: BackendClock;
  readonly health: Health;
}

/**
 * Whether a breaker's tally goes in this flush: it counted something, it is closed (an open
 * circuit's window is over), the fleet decides for it, and the backend answered once, so that
 * the flush can be stamped (held through an outage by the client, it would count old calls as new).
 */
export function sendsCounts(source: CountSource): boolean {
  return source.tally.calls > 0 && source.state === 'closed' && source.shared && source.clock.state === 'answered' && source.health.state === 'usable';
}

/** The batch a breaker's tally makes. */
export function batchOf(name: string, generation: number, tally: Tally, window: WindowRule, openPeriod: number, openings: number): CountBatch {
  return { name, generation, calls: tally.calls, failures: tally.failures, slowCalls: tally.slowCalls, window, openPeriod: Math.ceil(openPeriod), openings };
}

/** Batches per flush request, so that no one script holds Redis for long (a script of 500 takes about a millisecond). */
export const COUNT_CHUNK = 500;
