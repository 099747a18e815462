import type { Clock } from '../machine/clock.js';
import { systemClock } from '../machine/clock.js';
import type { ExpectedError } from '../breaker/error-filter.js';
import { compileErrorFilter } from '../breaker/error-filter.js';
import { isCircuitOpenError } from '../breaker/errors.js';
import { checkDuration, duration, invalid, optionalFunction, optionsObject, positiveInteger } from '../check/check.js';
import type { ErrorReporter } from '../breaker/report.js';
import { safeReport, warnProcess } from '../breaker/report.js';
import { exponentialBackoff } from '../policies/backoff.js';
import type { AsyncDecorated, AsyncMethodDecorator, DecoratorMisuse } from '../decorate/circuit.js';
import { statelessEngine } from '../decorate/engine.js';
import type { SignalOption } from '../breaker/call-signal.js';
import { callWithSignal, checkSignalOption, linkedController, outerSignal, pickSignal, releasedOnAbort } from '../breaker/call-signal.js';
import type { RetryBudget } from './retry-budget.js';
import { isRetryBudget } from './retry-budget.js';

/** What `onRetry` hears before each wait. */
export interface RetryInfo<R = unknown> {
  /** The attempt that just failed: 1 for the first call. */
  readonly attempt: number;
  /** Its error, or undefined when `retryOnResult` rejected its result. */
  readonly error: unknown;
  /** Its result when `retryOnResult` rejected it. */
  readonly result: R | undefined;
  /** Milliseconds until the next attempt. */
  readonly delay: number;
}

/**
 * A function wrapped by `retry`: the original's parameters and `this`, and a promise of its
 * result. Named, so that `isolatedDeclarations` code can write it down.
 */
export type Retrying<T, A extends unknown[], R> = (this: T, ...args: A) => Promise<R>;

/** Options of {@link retry}. An option set to `undefined` is an option left out. */
export interface RetryOptions<A extends unknown[] = any[], R = any> {
  /** Tries in all, the first included. Default 3. */
  attempts?: number | undefined;
  /** Milliseconds from the first try after which no new attempt starts. No limit by default. */
  maxElapsed?: number | undefined;
  /**
   * Milliseconds before retry number `n` (1 for the first retry): a number for a fixed wait, or a
   * function of `n`, e.g. `exponentialBackoff(...)`. Default: exponential from 100 ms, doubling,
   * capped at 10 s, with full jitter.
   */
  wait?: (number | ((retry: number) => number)) | undefined;
  /** Which errors are worth another try: an `Error` class, a list, or a predicate. Default: all. */
  retryOn?: ExpectedError | undefined;
  /** A result that is worth another try, e.g. `(response) => response.status === 503`. */
  retryOnResult?: ((result: R) => boolean) | undefined;
  /** Called before each wait, for logging. */
  onRetry?: ((info: RetryInfo<R>) => void) | undefined;
  /**
   * The caller's cancellation, as for `circuit` and `timeout`: a signal, or a function of the
   * call's arguments that picks one. When it aborts, the call rejects at once with its reason,
   * waiting stops, and the attempt under way sees the abort through `callSignal()`; a call whose
   * signal aborted already is not run.
   */
  signal?: SignalOption<A> | undefined;
  /**
   * Bounds retries to a share of recent calls: a budget from `retryBudget()`, shared by every
   * wrapper that calls the same dependency. A retry the budget refuses is not made; the call
   * fails with its last error (or returns its last result), as when attempts run out. Default:
   * no budget.
   */
  budget?: RetryBudget | undefined;
  /** The time source for `maxElapsed`. Default `Date.now()`. */
  clock?: Clock | undefined;
  /** Where a throwing `onRetry` or `wait` is reported. Default: a process warning. */
  reportError?: ErrorReporter | undefined;
}

interface RetryPlan {
  readonly attempts: number;
  readonly maxElapsed: number | undefined;
  readonly wait: (retry: number) => number;
  readonly retryOn: ((error: unknown) => boolean) | undefined;
  readonly retryOnResult: ((result: unknown) => boolean) | undefined;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly signal: SignalOption | undefined;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  readonly reportError: ErrorReporter;
}

const KEYS = ['attempts', 'maxElapsed', 'wait', 'retryOn', 'retryOnResult', 'onRetry', 'signal', 'budget', 'clock', 'reportError'];

function plan(options: unknown): RetryPlan {
  const o = optionsObject(options ?? undefined, 'retry', KEYS);
  const attempts = positiveInteger(o, 'attempts', 3);
  // maxElapsed is compared with clock readings, never handed to a timer: any finite length works.
  const maxElapsed = o.maxElapsed === undefined ? undefined : duration(o, 'maxElapsed', 0);
  const wait = o.wait ?? exponentialBackoff({ initial: 100, max: 10_000, jitter: 'full' });
  if (typeof wait !== 'function') checkDuration(wait, 'wait', { zero: true, timer: true });
  const signal = checkSignalOption(o.signal);
  const clock = (o.clock ?? systemClock) as Clock;
  if (typeof clock?.now !== 'function') invalid(TypeError, 'clock', 'an object with a now() method', o.clock);
  if (o.budget !== undefined && !isRetryBudget(o.budget)) invalid(TypeError, 'budget', 'a retry budget from retryBudget()', o.budget);
  return {
    attempts: attempts as number,
    maxElapsed: maxElapsed as number | undefined,
    wait: typeof wait === 'number' ? () => wait : (wait as (n: number) => number),
    retryOn: compileErrorFilter(o.retryOn as ExpectedError | undefined),
    retryOnResult: optionalFunction(o, 'retryOnResult'),
    onRetry: optionalFunction(o, 'onRetry'),
    signal,
    budget: o.budget as RetryBudget | undefined,
    clock,
    reportError: optionalFunction<ErrorReporter>(o, 'reportError') ?? warnProcess,
  };
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts; no timer outlives it. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function withAttempts(error: unknown, attempts: number): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, 'attempts', { value: attempts, writable: true, configurable: true });
  }
  return error;
}

function withRetry(fn: (...args: unknown[]) => unknown, p: RetryPlan, name: string): (...args: unknown[]) => Promise<unknown> {
  return async function retried(this: unknown, ...args: unknown[]): Promise<unknown> {
    const own = p.signal === undefined ? undefined : pickSignal(p.signal, this, args);
    const outer = outerSignal();
    if (own === undefined && outer === undefined) return attempts.call(this, args, undefined);
    // The caller is let go the moment its signal aborts, even while an attempt is under way.
    if (own === undefined || outer === undefined) return releasedOnAbort(attempts.call(this, args, own ?? outer), (own ?? outer)!);
    const { controller, unlink } = linkedController([outer, own]);
    try {
      return await releasedOnAbort(attempts.call(this, args, controller.signal), controller.signal);
    } finally {
      unlink();
    }
  };

  async function attempts(this: unknown, args: unknown[], signal: AbortSignal | undefined): Promise<unknown> {
    signal?.throwIfAborted();
    p.budget?.deposit();
    const started = p.maxElapsed === undefined ? 0 : p.clock.now();
    for (let attempt = 1; ; attempt++) {
      let failed = false;
      let error: unknown;
      let result: unknown;
      try {
        result = await callWithSignal(signal, () => fn.apply(this, args));
      } catch (e) {
        failed = true;
        error = e;
      }
      signal?.throwIfAborted();
      if (!failed && (p.retryOnResult === undefined || !judge(p, name, 'retryOnResult', p.retryOnResult, result))) return result;
      // No retry follows the last attempt, so neither `wait` nor `retryOn` is asked about one.
      if (attempt >= p.attempts) return settle(failed, error, result, attempt);
      let delay: number;
      if (failed && isCircuitOpenError(error)) {
        // An open circuit says when it will let a call through: wait for that, or give up now.
        if (p.retryOn !== undefined && !judge(p, name, 'retryOn', p.retryOn, error)) throw withAttempts(error, attempt);
        delay = Math.max(error.retryAfter, p.retryOn === undefined ? 0 : nextWait(p, name, attempt));
        if (!Number.isFinite(delay)) throw withAttempts(error, attempt);
      } else {
        if (failed && p.retryOn !== undefined && !judge(p, name, 'retryOn', p.retryOn, error)) throw withAttempts(error, attempt);
        delay = nextWait(p, name, attempt);
      }
      if (p.maxElapsed !== undefined && p.clock.now() - started + delay > p.maxElapsed) return settle(failed, error, result, attempt);
      // Asked last, so that only a retry that would otherwise happen spends the budget.
      if (p.budget !== undefined && !p.budget.tryWithdraw()) return settle(failed, error, result, attempt);
      if (p.onRetry !== undefined) {
        try {
          p.onRetry({ attempt, error, result: failed ? undefined : result, delay });
        } catch (listenerError) {
          safeReport(p.reportError, listenerError, 'onRetry', name);
        }
      }
      await sleep(delay, signal);
    }
  }
}

// The last attempt's outcome is the caller's: its error (with the count), or its result.
function settle(failed: boolean, error: unknown, result: unknown, attempt: number): unknown {
  if (failed) throw withAttempts(error, attempt);
  return result;
}

function nextWait(p: RetryPlan, name: string, attempt: number): number {
  try {
    const ms = p.wait(attempt);
    return checkDuration(ms, `wait(${attempt}) result`, { zero: true, timer: true });
  } catch (error) {
    safeReport(p.reportError, error, 'wait', name);
    return 1_000;
  }
}

// A throwing predicate is the caller's bug: it is reported and read as "do not retry".
function judge(p: RetryPlan, name: string, source: 'retryOn' | 'retryOnResult', predicate: (value: any) => boolean, value: unknown): boolean {
  try {
    return predicate(value) === true;
  } catch (error) {
    safeReport(p.reportError, error, source, name);
    return false;
  }
}

// First among the overloads, as `circuit`'s: a misspelt option is then the first error of `@retry(options)`.
/** A decorator for async methods: `@retry`, `@retry()` or `@retry(options)`. */
export function retry(options?: RetryOptions): AsyncMethodDecorator<never, DecoratorMisuse<'retry and timeout decorate methods that return a promise'>>;
/**
 * Wraps `fn` so that a failed call is tried again: up to `attempts` tries in all, within
 * `maxElapsed` ms, waiting as `wait` says between them. When attempts run out the caller gets the
 * last error itself (with an `attempts` property added), or the last result when
 * `retryOnResult` kept rejecting it. A `CircuitOpenError` is not retried blindly: retry waits its
 * `retryAfter` if that fits what is left of the budget, and gives up at once otherwise.
 *
 * @example
 * ```ts
 * const getUser = retry(fetchUser, { attempts: 4, wait: exponentialBackoff({ initial: 200, max: 5_000, jitter: 'full' }) });
 * ```
 * @typeParam T - `fn`'s `this`.
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - what `fn` returns.
 * @throws TypeError or RangeError naming the option, when an option is invalid.
 */
export function retry<T, A extends unknown[], R>(fn: (this: T, ...args: A) => R, options?: NoInfer<RetryOptions<A, Awaited<R>>>): Retrying<T, A, Awaited<R>>;
/**
 * `@retry` without arguments (standard decorators): the default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function retry<This, M extends (this: This, ...args: any) => unknown>(method: M, context: ClassMethodDecoratorContext<This, M>): AsyncDecorated<M, never, DecoratorMisuse<'retry and timeout decorate methods that return a promise'>>;
/**
 * `@retry` without arguments (`experimentalDecorators`): the default options.
 * @typeParam M - The decorated method's type, kept as it is.
 */
export function retry<M>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): AsyncDecorated<M, never, DecoratorMisuse<'retry and timeout decorate methods that return a promise'>, TypedPropertyDescriptor<M>>;
export function retry(...params: unknown[]): unknown {
  return entry(...params);
}

const entry = /* @__PURE__ */ statelessEngine('retry', plan, withRetry);
