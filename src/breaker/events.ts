import type { CircuitOpenError } from './errors.js';
import type { CircuitState } from '../machine/machine.js';

/** What each event of `breaker.on(event, listener)` passes to its listener. */
export interface CircuitEvents {
  /** The circuit opened. */
  open: {
    /** The state it left. */
    readonly from: CircuitState;
    /** The failure that opened it; undefined when it was opened by hand. */
    readonly cause: unknown;
  };
  /** The circuit closed. */
  close: {
    /** The state it left. */
    readonly from: CircuitState;
  };
  /** The circuit turned half-open: the first call after the open period arrived (reads change nothing). */
  halfOpen: {
    /** The state it left. */
    readonly from: CircuitState;
  };
  /** Any real change of state, after the specific event. */
  stateChange: {
    /** The state it left. */
    readonly from: CircuitState;
    /** The state it is in now. */
    readonly to: CircuitState;
  };
  /** A call succeeded. */
  success: {
    /** How long the call took, in ms (see `measureDurations`); NaN when this call was not timed. */
    readonly duration: number;
    /** How many calls this `duration` stands for: 1 when every call is timed, N when one in N is, 0 when this one was not. */
    readonly weight: number;
  };
  /** A call failed with a counted failure (an error, or a value `isFailure` judged). */
  failure: {
    /** The error the call failed with, or the value `isFailure` judged a failure. */
    readonly error: unknown;
    /** How long the call took, in ms (see `measureDurations`); NaN when this call was not timed. */
    readonly duration: number;
    /** How many calls this `duration` stands for: 1 when every call is timed, N when one in N is, 0 when this one was not. */
    readonly weight: number;
  };
  /** A call was refused without running. */
  rejected: {
    /** The refusal the caller gets. */
    readonly error: CircuitOpenError;
  };
  /** A fallback served a call. */
  fallback: {
    /** What the fallback was given: the failure, or the refusal. */
    readonly error: unknown;
  };
  /** A call failed with an error `expectedError` does not count: neither failure nor success. */
  ignored: {
    /** The error, passed on to the caller untouched. */
    readonly error: unknown;
    /** How long the call took, in ms (see `measureDurations`); NaN when this call was not timed. */
    readonly duration: number;
    /** How many calls this `duration` stands for: 1 when every call is timed, N when one in N is, 0 when this one was not. */
    readonly weight: number;
  };
  /**
   * A call its caller's `AbortSignal` cancelled: not run (the signal had aborted already), or
   * stopped by the abort. Neither success nor failure; a trial's slot is freed.
   */
  aborted: {
    /** What the call was cancelled with: the signal's reason, or the `AbortError` the function threw. */
    readonly error: unknown;
    /** How long the call ran, in ms (0 when it was not run; NaN when it was not timed). */
    readonly duration: number;
    /** How many calls this `duration` stands for, as for `success`; 1 for a call not run. */
    readonly weight: number;
  };
  /**
   * The breaker's shared store failed or timed out: until `storeUp`, this process decides alone
   * from its local state (see `sharedStore`).
   */
  storeDown: {
    /** What the store operation failed with. */
    readonly error: unknown;
    /**
     * What failed: a request (`'sync'`, `'open'`, `'close'` or `'trial'`), or `'record'` when the
     * store answers but this breaker's record there cannot be used.
     */
    readonly operation: string;
  };
  /** The shared store answers again; this process's state is merged back into the fleet's. */
  storeUp: {
    /** How long the store was away, in ms on the breaker's clock. */
    readonly downFor: number;
  };
}

/** The name of an event a breaker emits. */
export type CircuitEvent = keyof CircuitEvents;

/** Every event, for checking the name given to `on()`. */
export const EVENTS: readonly CircuitEvent[] = ['open', 'close', 'halfOpen', 'stateChange', 'success', 'failure', 'rejected', 'fallback', 'ignored', 'aborted', 'storeDown', 'storeUp'];

/**
 * One listener of one event. `source` names it when it throws: the event for `on()` listeners,
 * the option (`onOpen`...) for option callbacks, which go through this same system.
 */
export interface ListenerEntry<E extends CircuitEvent = CircuitEvent> {
  readonly listener: (payload: CircuitEvents[E]) => void;
  readonly source: ErrorSource;
  /** Option callbacks run before `on()` listeners, and `configure` replaces them. */
  readonly fromOption: boolean;
}

/** Listeners by event; an event nobody listens to costs one property read. */
export type ListenerTable = { [E in CircuitEvent]?: readonly ListenerEntry<E>[] };

/** Where an error that circuitry contained came from: an option's name, or the event whose listener threw. */
export type ErrorSource =
  | 'onOpen'
  | 'onClose'
  | 'onHalfOpen'
  | 'onStateChange'
  | 'clock'
  | 'expectedError'
  | 'isFailure'
  | 'recoveryTimeout'
  | 'openPeriodOf'
  | 'policy'
  | 'onRetry'
  | 'wait'
  | 'retryOn'
  | 'retryOnResult'
  | 'store'
  | CircuitEvent;
