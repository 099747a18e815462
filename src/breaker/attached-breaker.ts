import type { CircuitState, TrialGate } from '../machine/machine.js';

export type { TrialGate };

/**
 * Everything a store needs from a breaker, and nothing more. The breaker side implements it in
 * one function (`attachBreaker`), so store code never reaches into the breaker's internals.
 */

/** A breaker's state, as a store sees it. */
export type BreakerState = CircuitState;

/** The open period a breaker is in: open with `elapsed` of `period` ms passed, or half-open after it. */
export interface OpenPeriod {
  readonly elapsed: number;
  readonly period: number;
}

/** A breaker attached to a store. */
export interface AttachedBreaker {
  readonly name: string;
  /** The breaker's clock. */
  now(): number;
  /** The state now (an open period that is over reads as half-open). */
  state(): BreakerState;
  /** While open or half-open: the open period as it stands; undefined otherwise. */
  openPeriod(): OpenPeriod | undefined;
  /** Openings in a row, for backoff. */
  openings(): number;
  /** True while a change by hand is being made (it is published by `forced`, not `changed`). */
  manual(): boolean;
  /** Takes on an open period decided elsewhere; no failure of this process is blamed for it. */
  adoptOpen(elapsed: number, period: number, openings: number): void;
  /** Takes on a close decided elsewhere. */
  adoptClose(): void;
  /** Trial calls need the gate's permit from now on (undefined: no more). */
  setTrialGate(gate: TrialGate | undefined): void;
  /** The store, or this breaker's record in it, cannot be used: report it and emit `storeDown`. */
  storeDown(error: unknown, operation: string): void;
  /** Usable again after `downFor` ms: emit `storeUp`. */
  storeUp(downFor: number): void;
}
