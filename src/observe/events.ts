import type { CircuitOpenError } from '../core/errors.js';
import type { CircuitState } from '../core/machine.js';

/** What each event of `breaker.on(event, listener)` passes to its listener. */
export interface CircuitEvents {
  /** The circuit opened; `cause` is the failure that opened it (undefined when opened by hand). */
  open: { readonly from: CircuitState; readonly cause: unknown };
  /** The circuit closed. */
  close: { readonly from: CircuitState };
  /** The circuit was first seen half-open. */
  halfOpen: { readonly from: CircuitState };
  /** Any real change of state, after the specific event. */
  stateChange: { readonly from: CircuitState; readonly to: CircuitState };
  /** A call succeeded; `duration` in ms on the breaker's clock. */
  success: { readonly duration: number };
  /** A call failed with a counted failure (an error, or a value `isFailure` judged). */
  failure: { readonly error: unknown; readonly duration: number };
  /** A call was refused without running. */
  rejected: { readonly error: CircuitOpenError };
  /** A fallback served a call; `error` is what it got: the failure, or the refusal. */
  fallback: { readonly error: unknown };
  /** A call failed with an error `expectedError` does not count: neither failure nor success. */
  ignored: { readonly error: unknown; readonly duration: number };
}

/** The name of an event a breaker emits. */
export type CircuitEvent = keyof CircuitEvents;

export type Listener<E extends CircuitEvent> = (payload: CircuitEvents[E]) => void;

export const EVENTS: readonly CircuitEvent[] = ['open', 'close', 'halfOpen', 'stateChange', 'success', 'failure', 'rejected', 'fallback', 'ignored'];

/** Listeners by event; an event nobody listens to costs one property read. */
export type ListenerTable = { [E in CircuitEvent]?: Listener<E>[] };
