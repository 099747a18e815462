import { duration, invalid, optionalFunction, positiveInteger, requiredOptions } from '../check/check.js';
import type { ErrorReporter } from '../breaker/report.js';
import { warnProcess } from '../breaker/report.js';
import type { AsyncMethodDecorator, DecoratorMisuse } from '../decorate/circuit.js';
import type { StatePlan } from '../decorate/method-state.js';
import { statefulEngine } from '../decorate/method-state.js';
import { lookupState } from '../decorate/state-lookup.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { checkSignalOption, outerSignal, pickSignal, releasedOnAbort, withCallSignal } from '../breaker/call-signal.js';
import type { Bulkhead, PermitLimits, Permits } from './bulkhead-permits.js';
import { createPermits } from './bulkhead-permits.js';

/** Options of {@link bulkhead}. An option set to `undefined` is an option left out. */
export interface BulkheadOptions<A extends unknown[] = any[]> {
  /** Calls that may run at once. Required. */
  maxConcurrent: number;
  /**
   * Calls that may wait, first come first served, for a permit; beyond that a call is refused at
   * once with {@link BulkheadRejectedError}. Default 0: no queue, as opossum's `capacity`.
   */
  maxQueue?: number | undefined;
  /**
   * Milliseconds a call may wait in the queue; then it is refused with `reason: 'queueTimeout'`.
   * Default: it waits until a permit frees up or its signal aborts. Needs `maxQueue`.
   */
  queueTimeout?: number | undefined;
  /**
   * The caller's cancellation, as for `circuit`, `timeout` and `retry`: a signal, or a function of
   * the call's arguments that picks one. A call aborted while queued leaves the queue; one already
   * running is let go at once too, and sees the abort through `callSignal()`, but keeps its permit
   * until the function settles. Either way the caller gets the signal's reason.
   */
  signal?: SignalOption<A> | undefined;
  /** The name refusals carry. Default: the function's name, or `Class.method`. */
  name?: string | undefined;
  /** Where a throwing `rejected` listener is reported. Default: a process warning. */
  reportError?: ErrorReporter | undefined;
}

/** Options of the `@bulkhead(...)` decorator. */
export interface BulkheadDecoratorOptions extends BulkheadOptions {
  /**
   * `'class'` (the default): one bulkhead for the method across every instance, so the limit is
   * the process's. `'instance'`: each instance gets its own, held weakly.
   */
  scope?: 'class' | 'instance' | undefined;
}

/**
 * A function guarded by `bulkhead`: the original's parameters and `this`, a promise of its
 * result, and the bulkhead behind it.
 */
export type BulkheadGuarded<T, A extends unknown[], R> = ((this: T, ...args: A) => Promise<R>) & {
  /** The bulkhead limiting this function. */
  readonly bulkhead: Bulkhead;
};

interface BulkheadPlan extends StatePlan, PermitLimits {
  readonly signal: SignalOption | undefined;
}

const KEYS = ['maxConcurrent', 'maxQueue', 'queueTimeout', 'signal', 'name', 'reportError', 'scope'];

function plan(options: unknown, forDecorator: boolean): BulkheadPlan {
  const o = requiredOptions(options, 'bulkhead', KEYS);
  if (!forDecorator && o.scope !== undefined) throw new TypeError('unknown bulkhead option "scope"');
  if (o.maxConcurrent === undefined) invalid(TypeError, 'maxConcurrent', 'a positive integer', o.maxConcurrent);
  const maxConcurrent = positiveInteger(o, 'maxConcurrent', 1);
  const maxQueue = positiveInteger(o, 'maxQueue', 0, 0);
  const queueTimeout = o.queueTimeout === undefined ? undefined : duration(o, 'queueTimeout', 0, { timer: true });
  if (queueTimeout !== undefined && maxQueue === 0) invalid(RangeError, 'queueTimeout', 'left out when maxQueue is 0 (no call ever waits)', queueTimeout);
  const signal = checkSignalOption(o.signal);
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) invalid(TypeError, 'name', 'a non-empty string', o.name);
  const scope = o.scope ?? 'class';
  if (scope !== 'class' && scope !== 'instance') invalid(TypeError, 'scope', '"class" or "instance"', scope);
  return {
    maxConcurrent,
    maxQueue,
    queueTimeout,
    signal,
    name: o.name as string | undefined,
    reportError: optionalFunction<ErrorReporter>(o, 'reportError') ?? warnProcess,
    scope: scope as 'class' | 'instance',
  };
}

function withPermits(original: (...args: unknown[]) => unknown, permits: Permits, p: BulkheadPlan): (...args: unknown[]) => Promise<unknown> {
  const { signal } = p;
  const fn = withCallSignal(original);
  // A running call keeps its permit until it settles (the limit counts what really runs), but
  // its caller is let go the moment a signal that applies aborts, as every wrapper does.
  return function limited(this: unknown, ...args: unknown[]): Promise<unknown> {
    let own: AbortSignal | undefined;
    try {
      own = signal === undefined ? undefined : pickSignal(signal, this, args);
    } catch (error) {
      return Promise.reject(error);
    }
    const outer = outerSignal();
    let call = permits.run(fn, this, args, own);
    if (own !== undefined) call = releasedOnAbort(call, own);
    if (outer !== undefined) call = releasedOnAbort(call, outer);
    return call;
  };
}

/**
 * Limits how many calls of `fn` run at once: `maxConcurrent` run, up to `maxQueue` more wait
 * their turn (first come, first served, each for at most `queueTimeout` ms), and the rest are
 * refused at once with a {@link BulkheadRejectedError} without calling `fn`. A permit is given
 * back when the call settles, whether it resolved, rejected or threw. The result keeps `fn`'s
 * parameters and `this`, and shows its bulkhead as `.bulkhead`.
 *
 * Put it outside a circuit (`pipe(fn, (f) => circuit(f), (f) => bulkhead(f, options))`): then a
 * refusal never reaches the breaker, which counts only what the dependency did.
 *
 * @example
 * ```ts
 * const getUser = bulkhead(fetchUser, { maxConcurrent: 10, maxQueue: 50, queueTimeout: 1_000 });
 * getUser.bulkhead.stats(); // { inFlight: 0, queued: 0, rejections: 0, abandoned: 0 }
 * ```
 * @typeParam Fn - The guarded function's type, whose parameters, `this` and result the guard keeps.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function bulkhead<Fn extends (...args: any[]) => unknown>(
  fn: Fn,
  options: BulkheadOptions<Parameters<Fn>>,
): BulkheadGuarded<ThisParameterType<Fn>, Parameters<Fn>, Awaited<ReturnType<Fn>>>;
/**
 * A decorator for async methods: `@bulkhead({ maxConcurrent: 10 })`, one bulkhead for the method
 * across every instance, or one per instance with `scope: 'instance'`.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function bulkhead(options: BulkheadDecoratorOptions): AsyncMethodDecorator<never, DecoratorMisuse<'bulkhead decorates methods that return a promise'>>;
export function bulkhead(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ statefulEngine<BulkheadPlan, Permits>({
  api: 'bulkhead',
  plan,
  create: (p, name) => createPermits(name, p),
  wrap: (fn, permits, p) => withPermits(fn, permits, p),
  property: 'bulkhead',
});

/** The bulkhead behind a function guarded by `bulkhead`, or by wrappers around it. */
export function bulkheadOf(guarded: Function): Bulkhead;
/**
 * The bulkhead behind a decorated method, as seen from `instance` (it matters for
 * `scope: 'instance'`).
 */
export function bulkheadOf<T extends object>(instance: T, method: keyof T & (string | symbol)): Bulkhead;
export function bulkheadOf(target: object, method?: string | symbol): Bulkhead {
  const fn = method === undefined ? target : (target as Record<string | symbol, unknown>)[method];
  const found = lookupState(fn, 'bulkhead', method === undefined ? undefined : target) as Bulkhead | undefined;
  if (found === undefined) {
    const what = method === undefined ? 'this function' : `method ${String(method)}`;
    throw new TypeError(`bulkheadOf: ${what} is not guarded by bulkhead, or a circuit is wrapped around its bulkhead (put the bulkhead outside the circuit)`);
  }
  return found;
}
