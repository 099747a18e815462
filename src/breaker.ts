import type { BreakerCore } from './breaker-core.js';
import { createCore, machineConfig, needsDurations } from './breaker-core.js';
import { invalid } from './core/invalid-option.js';
import type { CircuitEvent, CircuitEvents, Listener } from './observe/events.js';
import { EVENTS } from './observe/events.js';
import type { CircuitStats } from './observe/stats.js';
import type { CircuitState } from './core/machine.js';
import { close, currentState, disable, isolate, open, reconfigure, releaseHold, retryAfter } from './core/machine.js';
import type { BreakerOptions } from './core/options.js';
import { optionsObject, resolveBreakerOptions } from './core/options.js';
import type { CircuitSnapshot } from './core/snapshot.js';
import { snapshotMachine } from './core/snapshot.js';
import { attachStore } from './store/store-link.js';

let coreOfBreaker: (breaker: CircuitBreaker) => BreakerCore;

/** Options `configure` cannot change: they make a breaker what it is. */
const FIXED_OPTIONS = ['name', 'registry', 'store'] as const;

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
  #options: BreakerOptions;

  /**
   * @throws TypeError or RangeError naming the option when an option is invalid.
   */
  constructor(options: BreakerOptions = {}) {
    this.#options = { ...optionsObject(options, 'an object') };
    const resolved = resolveBreakerOptions(this.#options);
    this.name = resolved.name ?? 'anonymous';
    this.#core = createCore(this, this.name, resolved);
    resolved.registry?.register(this);
    if (resolved.store !== undefined) this.#core.link = attachStore(resolved.store, this.#core);
  }

  /** The current state. An open circuit whose open time has passed reads as `'half-open'`. */
  get state(): CircuitState {
    return currentState(this.#core.machine, this.#core.now);
  }

  /** Consecutive counted failures; a success or a close resets it. */
  get failures(): number {
    return this.#core.machine.failures;
  }

  /** Milliseconds until a call may be admitted: 0 when one would be now, `Infinity` while isolated. */
  get retryAfter(): number {
    return retryAfter(this.#core.machine, this.#core.now());
  }

  /** The most recent counted failure (an error, or a value `isFailure` judged), or `undefined`. */
  get lastFailure(): unknown {
    return this.#core.lastFailure;
  }

  /** Opens the circuit now; it turns half-open after `recoveryTimeout`, as after a trip. */
  open(): void {
    // Opened by hand: no failure is to blame, so refusals and the `open` event carry no cause.
    const core = this.#core;
    core.lastFailure = undefined;
    byHand(core, () => open(core.machine, core.now()));
  }

  /** Closes the circuit and resets its counts, its policy's window and its backoff. */
  close(): void {
    byHand(this.#core, close);
  }

  /** Back to a new breaker's state: the same as {@link CircuitBreaker.close}, under the name other libraries use. */
  reset(): void {
    byHand(this.#core, close);
  }

  /**
   * Holds the circuit open until released, even across its recovery time: calls are refused
   * with {@link CircuitIsolatedError}, and no trial calls run. Holds add up; when the last is
   * released the circuit turns half-open, so trial calls decide what comes next. `close()` and
   * `reset()` drop every hold at once.
   *
   * @returns a function that releases this hold; calling it again does nothing.
   */
  isolate(): () => void {
    this.#core.lastFailure = undefined;
    const machine = this.#core.machine;
    isolate(machine);
    const phase = machine.phase;
    let held = true;
    return () => {
      // A hold ends once, and only the isolation it was taken in.
      if (held && machine.phase === phase) releaseHold(machine);
      held = false;
    };
  }

  /** Lets every call through and never changes state by itself, until `enable()`. */
  disable(): void {
    disable(this.#core.machine);
  }

  /** Ends `disable()`: the circuit is closed with fresh counts. Does nothing unless disabled. */
  enable(): void {
    if (this.#core.machine.phase.state === 'disabled') close(this.#core.machine);
  }

  /**
   * The breaker's state as plain JSON, for `restoreBreaker` to start from later (for example
   * across a restart). Trial calls in flight are not part of it.
   */
  toJSON(): CircuitSnapshot {
    return snapshotMachine(this.#core.machine, this.name);
  }

  /**
   * Changes options at run time, for configuration pushed from elsewhere. All of them are checked
   * first and applied together, or none is: an invalid value throws as the constructor would, and
   * the breaker carries on as it was. The state and counts carry over; a new `policy` starts with
   * an empty window. `name` and `registry` cannot change.
   *
   * @throws TypeError or RangeError naming the option when an option is invalid.
   */
  configure(options: Omit<BreakerOptions, (typeof FIXED_OPTIONS)[number]>): void {
    const changes = optionsObject(options, 'an object');
    const fixed = FIXED_OPTIONS.find((key) => Object.hasOwn(changes, key));
    if (fixed !== undefined) throw new TypeError(`${fixed} cannot be changed by configure`);
    const next = { ...this.#options, ...changes };
    const resolved = resolveBreakerOptions(next);
    const core = this.#core;
    const config = machineConfig(core, resolved, { factory: core.options.policy, policy: core.machine.policy });
    this.#options = next;
    core.options = resolved;
    reconfigure(core.machine, config);
    core.timed = needsDurations(core);
  }

  /**
   * Calls `listener` on every `event` until the returned function is called. Payloads are typed
   * per event; call durations are measured only while a `success`, `failure` or `ignored`
   * listener is attached. What a listener throws is reported (`source` is the event's name) and
   * never reaches a caller.
   *
   * @example
   * ```ts
   * const off = breaker.on('stateChange', ({ from, to }) => log.warn(`${breaker.name}: ${from} -> ${to}`));
   * ```
   * @returns a function that removes the listener; calling it again does nothing.
   */
  on<E extends CircuitEvent>(event: E, listener: (payload: CircuitEvents[E]) => void): () => void {
    if (!EVENTS.includes(event)) invalid(TypeError, 'event', `one of ${EVENTS.join(', ')}`, event);
    if (typeof listener !== 'function') invalid(TypeError, 'listener', 'a function', listener);
    const core = this.#core;
    const table = (core.listeners ??= {}) as Record<CircuitEvent, Listener<E>[] | undefined>;
    // Arrays are replaced, never changed in place, so an emit in progress sees a stable list.
    table[event] = [...(table[event] ?? []), listener];
    core.timed = needsDurations(core);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      const rest = (table[event] ?? []).filter((l) => l !== listener);
      table[event] = rest.length > 0 ? rest : undefined;
      core.timed = needsDurations(core);
    };
  }

  /** A plain snapshot for dashboards and health checks: state, since when, cumulative counts. */
  stats(): CircuitStats {
    const core = this.#core;
    const state = this.state;
    return {
      name: this.name,
      state,
      since: core.since,
      successes: core.successes,
      failures: core.failures,
      timeouts: core.timeouts,
      rejections: core.rejections,
      fallbacks: core.fallbacks,
      ignored: core.ignored,
      consecutiveFailures: core.machine.failures,
      window: core.machine.policy?.stats?.(core.now),
      retryAfter: retryAfter(core.machine, core.now()),
    };
  }

  static {
    coreOfBreaker = (breaker) => breaker.#core;
  }
}

// A change made by hand is one a shared store must keep, whatever the fleet decided meanwhile.
function byHand(core: BreakerCore, change: (machine: BreakerCore['machine']) => void): void {
  core.manual = true;
  try {
    change(core.machine);
  } finally {
    core.manual = false;
  }
  core.link?.forced();
}

/** The internals the guards work with; not part of the public API. */
export function coreOf(breaker: CircuitBreaker): BreakerCore {
  return coreOfBreaker(breaker);
}
