import type { BreakerCore } from './breaker-core.js';
import { createCore } from './breaker-core.js';
import type { CircuitState } from './core/machine.js';
import { close, currentState, open, retryAfter } from './core/machine.js';
import type { BreakerOptions } from './core/options.js';
import { optionsObject, resolveBreakerOptions } from './core/options.js';

let coreOfBreaker: (breaker: CircuitBreaker) => BreakerCore;

/**
 * A circuit breaker: closed, it lets calls through and counts failures; open, it rejects them
 * with {@link CircuitOpenError}; after `recoveryTimeout` it turns half-open and lets trial calls
 * decide whether to close again.
 *
 * Guard functions with it through `circuit(fn, breaker)`; one breaker can guard several functions.
 *
 * @example
 * ```ts
 * const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 3 });
 * const charge = circuit(chargeCard, payments);
 * const refund = circuit(refundCard, payments);
 * ```
 */
export class CircuitBreaker {
  /** The breaker's name, used in messages and errors. */
  readonly name: string;
  readonly #core: BreakerCore;

  /**
   * @throws TypeError or RangeError naming the option when an option is invalid.
   */
  constructor(options: BreakerOptions = {}) {
    const resolved = resolveBreakerOptions(optionsObject(options, 'an object'));
    this.name = resolved.name ?? 'anonymous';
    this.#core = createCore(this, this.name, resolved);
  }

  /** The current state. An open circuit whose recovery timeout has passed reads as `'half-open'`. */
  get state(): CircuitState {
    return currentState(this.#core.machine, this.#core.now);
  }

  /** Consecutive counted failures; a success or a close resets it. */
  get failures(): number {
    return this.#core.machine.failures;
  }

  /** Milliseconds until a call may be admitted; 0 when one would be admitted now. */
  get retryAfter(): number {
    return retryAfter(this.#core.machine, this.#core.now());
  }

  /** The most recent counted failure, or `undefined` if none was seen. */
  get lastFailure(): unknown {
    return this.#core.lastFailure;
  }

  /** Opens the circuit now; it turns half-open after `recoveryTimeout`, as after a trip. */
  open(): void {
    open(this.#core.machine, this.#core.now());
  }

  /** Closes the circuit and resets its failure count. */
  close(): void {
    close(this.#core.machine);
  }

  static {
    coreOfBreaker = (breaker) => breaker.#core;
  }
}

/** The internals the guards work with; not part of the public API. */
export function coreOf(breaker: CircuitBreaker): BreakerCore {
  return coreOfBreaker(breaker);
}
