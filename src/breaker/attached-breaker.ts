import type { CircuitState, TrialGate } from '../machine/machine.js';
import type { WindowRule } from '../machine/trip-policy.js';

export type { CircuitState, TrialGate, WindowRule };

/**
 * Where a breaker whose window the fleet judges hands each outcome its trip policy counted while
 * closed. `verdict` is what the breaker's own window says; the answer is what the breaker does:
 * true opens it.
 */
export interface OutcomeCounter {
  counted(failed: boolean, slow: boolean, verdict: boolean): boolean;
  /** The policy's window was cleared (the circuit closed, or was reset): so are the counts not yet sent. */
  cleared(): void;
}

/** The opening a breaker is in: open with `elapsed` of `openPeriod` ms passed, or half-open after it. */
export interface Opening {
  readonly elapsed: number;
  readonly openPeriod: number;
}

/**
 * A breaker attached to a store: everything a store needs from a breaker, and nothing more. The
 * breaker side implements it in one function (`attachBreaker`), so store code never reaches into
 * the breaker's internals.
 */
export interface AttachedBreaker {
  readonly name: string;
  /** The breaker's clock. */
  now(): number;
  /** The state now (an open period that is over reads as half-open). */
  state(): CircuitState;
  /** While open or half-open: the opening as it stands; undefined otherwise. */
  opening(): Opening | undefined;
  /** Openings in a row, for backoff. */
  openings(): number;
  /** True while a change by hand is being made (it is published by `forced`, not `changed`). */
  manual(): boolean;
  /** Takes on an opening decided elsewhere; no failure of this process is blamed for it. */
  adoptOpen(elapsed: number, openPeriod: number, openings: number): void;
  /** Takes on a close decided elsewhere. */
  adoptClose(): void;
  /** The window rule of the breaker's trip policy, or undefined when it has none (consecutive failures, a policy of the user's). */
  window(): WindowRule | undefined;
  /** The open period a trip would start now (the next opening's, by `recoveryTimeout`). */
  tripPeriod(): number;
  /**
   * From now on, the outcomes the trip policy counts go through `counter`, which decides whether
   * they open the circuit. Does nothing when they already do, or when there is no policy; called
   * again after `configure` replaced the policy, it takes the new one.
   */
  countOutcomes(counter: OutcomeCounter): void;
  /** Trial calls need the gate's permit from now on (undefined: no more). */
  setTrialGate(gate: TrialGate | undefined): void;
  /** The store, or this breaker's record in it, cannot be used: report it and emit `storeDown`. */
  storeDown(error: unknown, operation: string): void;
  /** Usable again after `downFor` ms: emit `storeUp`. */
  storeUp(downFor: number): void;
}
