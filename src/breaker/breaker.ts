import { checkDuration, invalid, optionsObject } from '../check/check.js';
import type { Clock } from '../machine/clock.js';
import type { CircuitState } from '../machine/machine.js';
import { close, currentState, disable, isolate, open, openFor, rampShare, reconfigure, releaseHold, retryAfter } from '../machine/machine.js';
import type { ExpectedError } from './error-filter.js';
import type { CircuitEvent, CircuitEvents, ListenerEntry } from './events.js';
import { EVENTS } from './events.js';
import type { BreakerInternals } from './internals.js';
import { createInternals, machineConfig, setInternalsReader } from './internals.js';
import { addListener, timeEvery } from './listeners.js';
import { OPTION_LISTENERS, resolveBreakerOptions } from './options.js';
import { add, defaultRegistrations } from './registrations.js';
import type { ErrorReporter } from './report.js';
import type { CircuitSnapshot } from './snapshot.js';
import { snapshotMachine } from './snapshot.js';
import type { CircuitStats } from './stats.js';
import type { CircuitStore } from './store-link.js';
import { attachStore } from './store-link.js';
import type { PolicyFactory } from '../machine/trip-policy.js';
import { asyncPath } from './async-path.js';
import { checkSignalOption, withCallSignal } from './call-signal.js';
import { onTransition } from './transitions.js';

/** Options `configure` cannot change: they make a breaker what it is. */
const FIXED_OPTIONS = ['name', 'registry', 'store'] as const;

/** Where a breaker registers itself: a `CircuitRegistry` is one. */
export interface BreakerRegistry {
  /** Adds `breaker`. */
  register(breaker: CircuitBreaker): void;
}

/** Options of a {@link CircuitBreaker}: when it opens, when it probes, who hears about it. */
export interface BreakerOptions {
  /** Consecutive counted failures that open the circuit, under the default policy. Default 5. */
  failureThreshold?: number | undefined;
  /**
   * Milliseconds the circuit stays open before it admits a trial call. Default 30,000. A function
   * gets the number of openings in a row (1 for a trip from closed, 2 after a failed trial, ...)
   * and returns the time for this one; see `exponentialBackoff`. It starts over when the circuit
   * closes.
   */
  recoveryTimeout?: (number | ((openings: number) => number)) | undefined;
  /**
   * When a closed circuit opens, instead of `failureThreshold` failures in a row:
   * `countWindow(...)`, `timeWindow(...)`, or your own {@link PolicyFactory}.
   */
  policy?: PolicyFactory | undefined;
  /**
   * Milliseconds at or above which a call counts as slow, for the `slowCallRate` of a window
   * policy. The call itself still succeeds or fails as it would. Needs a window `policy`.
   */
  slowCallDuration?: number | undefined;
  /**
   * Which calls are timed for the `success`, `failure`, `ignored` and `aborted` events' `duration`
   * (nothing is timed while none of them has a listener). `true` (default): every call.
   * `{ sampleRate }`: one call in `Math.round(1 / sampleRate)`, counted per breaker; the events of
   * the others carry `duration: NaN` and `weight: 0`, a timed one `weight: N`, the calls it stands
   * for. `false`: no call (`duration: NaN`, `weight: 0`). `slowCallDuration` times every call
   * whatever this says, and cannot be combined with `false`.
   */
  measureDurations?:
    | (
        | boolean
        | {
            /** The share of calls timed: above 0, at most 1 (0.1 times one call in 10). */
            sampleRate: number;
          }
      )
    | undefined;
  /**
   * Judges a returned value: true counts the call as a failure (the caller still gets the value,
   * and no fallback runs). For example `(response) => response.status >= 500` for `fetch`.
   */
  isFailure?: ((result: any) => boolean) | undefined;

  /** Trial calls admitted at once while half-open; others are rejected at once. Default 1. */
  halfOpenMaxCalls?: number | undefined;
  /** Trial successes in a row that close the circuit again. Default 1. Not with `trials`. */
  successThreshold?: number | undefined;
  /**
   * Judges the trials as a sample instead of one by one: `calls` trials are admitted while
   * half-open (all at once, or `halfOpenMaxCalls` at a time), and the circuit re-opens as soon as
   * their failures or slow trials reach `failureRate` or `slowCallRate` of `calls`, or closes once
   * all are judged below both. Cannot be combined with `successThreshold`. Default: one by one.
   */
  trials?: TrialsOptions | undefined;
  /**
   * Judges calls, moves through its states, emits events and counts, but refuses nothing: a call
   * the breaker would reject runs anyway, and is counted in `stats().wouldReject`. For tuning
   * thresholds on live traffic before they act; `configure({ shadow: false })` makes it refuse.
   * Default false.
   */
  shadow?: boolean | undefined;
  /**
   * Brings traffic back gradually after an outage, instead of all at once: for `duration` ms after
   * the circuit closes from half-open (or takes on a close from its `store`), it admits a share of
   * the calls that grows from `minShare` to all of them, and rejects the others with
   * {@link CircuitRampError}. Spread evenly and decided by the clock, with no randomness. A
   * failure meanwhile counts as in any closed state; when it re-opens the circuit, the ramp ends.
   * A close by hand (`close()`, `reset()`) lets every call through at once, and ends a ramp under
   * way; `configure` applies from the next close. Default: no ramp.
   */
  ramp?: RampOptions | undefined;
  /**
   * Reads an open period from a counted failure (an error, or a value `isFailure` judged), for a
   * dependency that says how long it needs, such as an HTTP `Retry-After`: a number of ms opens
   * the circuit at once for that long (kept within `minOpenPeriod` and `maxOpenPeriod`);
   * `undefined` leaves the failure to count as any other.
   */
  openPeriodOf?: ((failure: any) => number | undefined) | undefined;
  /** The shortest open period `openPeriodOf` may give, in ms. Default 1,000. */
  minOpenPeriod?: number | undefined;
  /**
   * The longest open period `openPeriodOf` may give, in ms, so that a hostile or mistaken
   * `Retry-After` cannot shut a dependency off for long. Default 300,000 (5 minutes).
   */
  maxOpenPeriod?: number | undefined;
  /**
   * True to share the opens `openPeriodOf` decides through the `store` with every process. By
   * default they stay in this process: a 429 is often one tenant's or one key's quota, and one
   * tenant must not open the circuit for the whole fleet. Default false.
   */
  shareOpenPeriodOf?: boolean | undefined;
  /**
   * Which errors count as failures: an `Error` class (subclasses match too), an array of them, or
   * a predicate. Other errors pass through untouched and count neither way. Default: every error.
   */
  expectedError?: ExpectedError | undefined;
  /** Called when the circuit opens. */
  onOpen?: ((breaker: CircuitBreaker) => void) | undefined;
  /** Called when the circuit closes again. */
  onClose?: ((breaker: CircuitBreaker) => void) | undefined;
  /** Called when the circuit turns half-open: when the first call arrives after the open period (a read changes nothing). */
  onHalfOpen?: ((breaker: CircuitBreaker) => void) | undefined;
  /** Called after every real change of state (never for closed → closed), after the specific listener. */
  onStateChange?: ((from: CircuitState, to: CircuitState, breaker: CircuitBreaker) => void) | undefined;
  /** A name for messages, errors and metrics. Default: the guarded function's name, or `Class.method`. */
  name?: string | undefined;
  /**
   * Where the breaker registers itself: a `CircuitRegistry`, or `false` for nowhere.
   * Default: `defaultRegistry` when `name` is given, or when `circuit` or `@circuit` made the
   * breaker (not instance-scoped), nowhere otherwise.
   */
  registry?: (BreakerRegistry | false) | undefined;
  /** The time source, in milliseconds. Default: `Date.now()`. */
  clock?: Clock | undefined;
  /**
   * Receives errors that circuitry contains: a throwing listener, clock or `expectedError`
   * predicate. Default: a process warning named `CircuitryWarning`.
   */
  reportError?: ErrorReporter | undefined;
  /**
   * Shares this breaker's state with every process using the same store and `name`: an open
   * decided by one is seen by all, and one process at a time runs trial calls. Made by
   * `redisStore` (from `circuitry/redis`) or `sharedStore`. Needs `name`. Default: none, the
   * state lives in this process only.
   */
  store?: CircuitStore | undefined;
}

/** Options of one call of {@link CircuitBreaker.execute}. */
export interface ExecuteOptions {
  /**
   * The caller's cancellation: when it aborts, the call rejects at once with its reason and
   * `callSignal()` aborts inside `fn`. A call stopped by the abort counts as aborted (neither
   * success nor failure); one whose signal aborted already is not run.
   */
  signal?: AbortSignal | undefined;
}

/** The `trials` option: a sample of trial calls judged by rates. */
export interface TrialsOptions {
  /** Trials admitted, and judged together, in one half-open period (a positive integer). Default 10. */
  calls?: number | undefined;
  /** Failure rate of the sample (above 0, at most 1) at or above which the circuit re-opens. Default 0.5. */
  failureRate?: number | undefined;
  /** Slow-trial rate of the sample at or above which the circuit re-opens; needs `slowCallDuration`. Default 1. */
  slowCallRate?: number | undefined;
}

/**
 * The `ramp` option: the share of calls admitted `elapsed` ms after the circuit closed is
 * `max(minShare, elapsed / duration)`, as in Envoy's slow start (with its default aggression, 1).
 */
export interface RampOptions {
  /** How long the ramp lasts, in ms (positive, finite); then every call is admitted. Required. */
  duration: number;
  /** The share of calls admitted as the ramp starts: above 0, at most 1. Default 0.1. */
  minShare?: number | undefined;
}

/** Options of `breaker.open(options)`. */
export interface OpenOptions {
  /** The open period of this opening, in ms (positive, finite), exactly as given. Default: `recoveryTimeout`'s. */
  for?: number | undefined;
}

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
  readonly #internals: BreakerInternals;
  #options: BreakerOptions;
  #offOptionListeners: () => void;
  #execute: ((fn: () => unknown) => Promise<unknown>) | undefined;
  #executeCancellable: ((fn: () => unknown, signal: AbortSignal | undefined) => Promise<unknown>) | undefined;

  static {
    setInternalsReader((breaker) => (breaker as CircuitBreaker).#internals);
  }

  /**
   * @throws TypeError or RangeError naming the option when an option is invalid.
   */
  constructor(options: BreakerOptions = {}) {
    const resolved = resolveBreakerOptions(options);
    this.#options = { ...options };
    this.name = resolved.name ?? 'anonymous';
    this.#internals = createInternals(this.name, resolved, onTransition);
    this.#offOptionListeners = listenToOptions(this, this.#internals, options);
    // A store may refuse the breaker (a `judge: 'fleet'` store, one with no window): before it is listed anywhere.
    if (resolved.store !== undefined) this.#internals.link = attachStore(resolved.store, this.#internals);
    const registry = options.registry;
    if (registry === undefined) {
      if (resolved.name !== undefined) add(defaultRegistrations(), this);
    } else if (registry !== false) {
      registry.register(this);
    }
  }

  /**
   * Runs `fn` through the breaker: refused with {@link CircuitOpenError} while the circuit is
   * open, counted as a success or a failure otherwise. It returns a promise whatever `fn`
   * returns: a synchronous throw, a rejection and a refusal all arrive as rejections. With
   * `options.signal`, the caller can cancel the call (see {@link ExecuteOptions}).
   *
   * @example
   * ```ts
   * const payments = new CircuitBreaker({ name: 'payments' });
   * const receipt = await payments.execute(() => chargeCard(order), { signal: request.signal });
   * ```
   */
  execute<R>(fn: () => R | PromiseLike<R>, options?: ExecuteOptions): Promise<Awaited<R>> {
    if (typeof fn !== 'function') invalid(TypeError, 'execute(fn)', 'a function', fn);
    if (options !== undefined) return this.#cancellable(fn, options) as Promise<Awaited<R>>;
    // One guarded caller per breaker, made on first use: execute shares the path of circuit()
    // and its per-breaker fast path, instead of a general one that allocates per call. Like
    // circuit's, the call can read callSignal().
    this.#execute ??= asyncPath(withCallSignal(invoke), this.#internals, undefined);
    return this.#execute(fn) as Promise<Awaited<R>>;
  }

  #cancellable(fn: () => unknown, options: ExecuteOptions): Promise<unknown> {
    // cockatiel's execute(fn, signal): a signal has no own keys, so it would pass as {} and
    // cancel nothing.
    if (options instanceof AbortSignal) throw new TypeError('execute options must be an object such as { signal }, got an AbortSignal');
    const signal = (optionsObject(options, 'execute', ['signal']) as ExecuteOptions).signal;
    checkSignalOption(signal);
    // Made on first use, as execute's own: the signal is the call's second argument.
    this.#executeCancellable ??= asyncPath(withCallSignal(invoke), this.#internals, undefined, signalArgument);
    return this.#executeCancellable(fn, signal);
  }

  /**
   * The current state, changing nothing. An open circuit whose open time has passed reads as
   * `'half-open'`; it becomes half-open, and says so to listeners, when a call arrives.
   */
  get state(): CircuitState {
    return currentState(this.#internals.machine, this.#internals.now);
  }

  /** Counted failures in a row; a success or a close resets them. `stats().failures` counts all. */
  get consecutiveFailures(): number {
    return this.#internals.machine.consecutiveFailures;
  }

  /**
   * Milliseconds until a call may be admitted: 0 when one would be now, `Infinity` while
   * isolated. Reading it changes nothing.
   */
  get retryAfter(): number {
    return retryAfter(this.#internals.machine, this.#internals.now());
  }

  /**
   * The most recent counted failure (an error, or a value `isFailure` judged) of a call admitted
   * in the current state: what refusals carry as their `cause`, so while open it is the failure
   * that opened the circuit, whatever fails late. `undefined` after a counted success (as
   * `consecutiveFailures` goes back to 0), once the circuit closes, and after `open()` or `isolate()` by
   * hand, when no failure is to blame.
   */
  get lastFailure(): unknown {
    return this.#internals.lastFailure;
  }

  /**
   * Opens the circuit now; it turns half-open after `recoveryTimeout`, as after a trip, or after
   * `for` ms when given. Like every change by hand, a `store` shares it.
   *
   * @example
   * ```ts
   * breaker.open({ for: 120_000 }); // the dependency said: come back in two minutes
   * ```
   * @throws TypeError or RangeError when `for` is not a positive finite number of milliseconds.
   */
  open(options?: OpenOptions): void {
    const period = optionsObject(options, 'open', ['for']).for;
    if (period !== undefined) checkDuration(period, 'open({ for })');
    // Opened by hand: no failure is to blame, so refusals and the `open` event carry no cause.
    const internals = this.#internals;
    internals.lastFailure = undefined;
    byHand(internals, (m) => (period === undefined ? open(m, internals.now()) : openFor(m, internals.now(), period as number)));
  }

  /** Closes the circuit and resets its counts, its policy's window and its backoff. */
  close(): void {
    byHand(this.#internals, close);
  }

  /** Back to a new breaker's state: the same as {@link CircuitBreaker.close}, under the name other libraries use. */
  reset(): void {
    this.close();
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
    this.#internals.lastFailure = undefined;
    const machine = this.#internals.machine;
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
    disable(this.#internals.machine);
  }

  /** Ends `disable()`: the circuit is closed with fresh counts. Does nothing unless disabled. */
  enable(): void {
    if (this.#internals.machine.phase.state === 'disabled') close(this.#internals.machine);
  }

  /**
   * The breaker's state as plain JSON, for `restoreBreaker` to start from later (for example
   * across a restart). Trial calls in flight are not part of it.
   */
  toJSON(): CircuitSnapshot {
    return snapshotMachine(this.#internals.machine, this.name);
  }

  /**
   * Changes options at run time, for configuration pushed from elsewhere. All of them are checked
   * first and applied together, or none is: an invalid value throws as the constructor would, and
   * the breaker carries on as it was. The state and counts carry over; a new `policy` starts with
   * an empty window, and a half-open circuit's trials so far are judged by the new settings at
   * once. `name`, `registry` and `store` cannot change.
   *
   * @throws TypeError or RangeError naming the option when an option is invalid.
   */
  configure(options: Omit<BreakerOptions, 'name' | 'registry' | 'store'>): void {
    const changes = options === undefined ? {} : (options as Record<string, unknown>);
    const fixed = typeof changes === 'object' && changes !== null ? FIXED_OPTIONS.find((key) => changes[key] !== undefined) : undefined;
    if (fixed !== undefined) throw new TypeError(`${fixed} cannot be changed by configure`);
    // The change is checked as part of the options it makes, not alone: a slowCallRate is valid
    // beside the slowCallDuration the breaker already has.
    optionsObject(changes, 'circuit');
    const next = { ...this.#options, ...changes } as BreakerOptions;
    const resolved = resolveBreakerOptions(next);
    const internals = this.#internals;
    const config = machineConfig(internals, resolved, { factory: internals.options.policy, policy: internals.machine.policy });
    internals.link?.configuring?.(resolved.policy?.window);
    this.#options = next;
    internals.options = resolved;
    reconfigure(internals.machine, config, internals.now);
    internals.link?.configured?.();
    this.#offOptionListeners();
    this.#offOptionListeners = listenToOptions(this, internals, next);
    internals.timeEvery = timeEvery(internals);
  }

  /**
   * Calls `listener` on every `event` until the returned function is called. Payloads are typed
   * per event; call durations are measured only while a `success`, `failure`, `ignored` or
   * `aborted` listener is attached (and as `measureDurations` says). What a listener throws is reported (`source` is the event's name) and
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
    return addListener(this.#internals, event, { listener, source: event, fromOption: false });
  }

  /**
   * A plain snapshot for dashboards and health checks: state, since when, cumulative counts.
   * Reading it changes nothing and tells no listener.
   */
  stats(): CircuitStats {
    const internals = this.#internals;
    const state = this.state;
    return {
      name: this.name,
      state,
      since: internals.since,
      successes: internals.successes,
      failures: internals.failures,
      timeouts: internals.timeouts,
      rejections: internals.rejections,
      fallbacks: internals.fallbacks,
      ignored: internals.ignored,
      aborted: internals.aborted,
      consecutiveFailures: internals.machine.consecutiveFailures,
      window: internals.machine.policy?.stats?.(internals.now),
      retryAfter: retryAfter(internals.machine, internals.now()),
      shadow: internals.options.shadow,
      wouldReject: internals.machine.wouldReject,
      rampShare: rampShare(internals.machine, internals.now()),
    };
  }
}

// Shared by every breaker's execute(): the guarded "function" is the call itself.
function invoke(fn: unknown): unknown {
  return (fn as () => unknown)();
}

function signalArgument(_fn: unknown, signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal;
}

// Option callbacks are listeners like any other, ahead of those added with on().
function listenToOptions(breaker: CircuitBreaker, internals: BreakerInternals, options: BreakerOptions): () => void {
  let offs: (() => void)[] | undefined;
  for (const [option, event] of Object.entries(OPTION_LISTENERS) as [keyof typeof OPTION_LISTENERS, CircuitEvent][]) {
    const callback = options[option];
    if (callback === undefined) continue;
    const listener: ListenerEntry['listener'] =
      option === 'onStateChange'
        ? (payload) => (callback as NonNullable<BreakerOptions['onStateChange']>)((payload as CircuitEvents['stateChange']).from, (payload as CircuitEvents['stateChange']).to, breaker)
        : () => (callback as (b: CircuitBreaker) => void)(breaker);
    (offs ??= []).push(addListener(internals, event, { listener, source: option, fromOption: true }));
  }
  // Most breakers have no option callbacks: they share one no-op instead of holding a closure
  // and an array each (memory per breaker is benchmarked).
  return offs === undefined ? ignoreOff : () => offs.forEach((off) => off());
}

function ignoreOff(): void {}

// A change made by hand is one a shared store must keep, whatever the fleet decided meanwhile.
function byHand(internals: BreakerInternals, change: (machine: BreakerInternals['machine']) => void): void {
  internals.manual = true;
  try {
    change(internals.machine);
  } finally {
    internals.manual = false;
  }
  internals.link?.forced();
}
