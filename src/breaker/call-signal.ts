import { invalid } from '../check/check.js';

/**
 * A caller's cancellation, as the `signal` option of `circuit`, `timeout` and `retry` takes it:
 * one signal for every call, or a function of the call's arguments (and `this`) that picks the
 * call's own, so no wrapper appends a parameter to the function it guards.
 *
 * @typeParam A - the guarded function's parameters
 */
export type SignalOption<A extends unknown[] = any[]> = AbortSignal | ((...args: A) => AbortSignal | undefined);

function isAbortSignal(value: unknown): value is AbortSignal {
  // An engine without AbortSignal can still load circuitry; it just has no signal to give.
  return typeof AbortSignal === 'function' && value instanceof AbortSignal;
}

/** Checks a `signal` option when a wrapper is applied. */
export function checkSignalOption(value: unknown): SignalOption | undefined {
  if (value === undefined || typeof value === 'function' || isAbortSignal(value)) return value as SignalOption | undefined;
  return invalid(TypeError, 'signal', 'an AbortSignal or a function returning one', value);
}

/** The caller's signal for one call, as `option` picks it from the call's `this` and arguments. */
export function pickSignal(option: SignalOption, self: unknown, args: unknown[]): AbortSignal | undefined {
  if (typeof option !== 'function') return option;
  const signal = option.apply(self, args);
  if (signal !== undefined && !isAbortSignal(signal)) invalid(TypeError, 'signal(...)', 'an AbortSignal or undefined', signal);
  return signal;
}

/**
 * `work`, or a rejection with `signal`'s reason the moment it aborts, whichever comes first: the
 * caller is let go at once, and what `work` does later is no longer theirs.
 */
export function releasedOnAbort<T>(work: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The signal of the call being made right now, set by `circuit`, `breaker.execute`, `timeout`
 * and `retry` for the synchronous start of each call they make. Module state on the call path,
 * on purpose (ARCHITECTURE.md, "Module state"): AsyncLocalStorage would slow every promise in
 * the process and is no Node built-in elsewhere; the price is that the signal must be read before
 * the function's first `await`.
 */
let current: AbortSignal | undefined;

/**
 * The `AbortSignal` of the call under way, for functions guarded by `circuit`, `timeout` or
 * `retry`, or run by `breaker.execute`: it aborts when the time is up, or when the caller's signal does (a call with nothing
 * to cancel it gets one that never aborts). Read it at the start of the function, before any
 * `await`, and hand it on.
 *
 * @example
 * ```ts
 * const getUser = timeout(async (id: string) => {
 *   const signal = callSignal();
 *   return (await fetch(`https://users.internal/${id}`, { signal })).json();
 * }, 2_000);
 * ```
 * @throws TypeError when called outside such a call, or after an `await` in it.
 */
export function callSignal(): AbortSignal {
  if (current === undefined) {
    throw new TypeError('callSignal() must be called at the start of a function guarded by circuit, timeout or retry, before its first await');
  }
  return current;
}

/** The signal of an enclosing call, if a wrapper outside this one set one. */
export function outerSignal(): AbortSignal | undefined {
  return current === neverAborts ? undefined : current;
}

// What a call with nothing to cancel it sees: a signal that never aborts, so functions can
// always hand `callSignal()` on. Made at the first such call, not at load: an engine without
// AbortController can still load circuitry and use every part that cancels nothing.
let neverAborts: AbortSignal | undefined;

/** Calls `fn` with `signal` as the current call's signal during its synchronous part. */
export function callWithSignal<T>(signal: AbortSignal | undefined, fn: () => T): T {
  const previous = current;
  current = signal ?? (neverAborts ??= new AbortController().signal);
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/**
 * Wraps `fn` so that `callSignal()` works at its start even when nothing can cancel it: the
 * enclosing call's signal when there is one, otherwise one that never aborts. `circuit` without a
 * `timeout`, and `breaker.execute`, use it: a function written for a configured timeout runs
 * unchanged without one.
 */
export function withCallSignal<F extends (...args: any[]) => unknown>(fn: F): F {
  // An engine without AbortController has no signal to give: callSignal() refuses there, as before.
  if (typeof AbortController !== 'function') return fn;
  const none = (neverAborts ??= new AbortController().signal);
  // `arguments` rather than a rest parameter: V8 forwards it to `apply` without an array, and
  // this sits on every call of a circuit.
  return function (this: unknown): unknown {
    if (current !== undefined) return fn.apply(this, arguments as unknown as unknown[]);
    current = none;
    try {
      return fn.apply(this, arguments as unknown as unknown[]);
    } finally {
      current = undefined;
    }
  } as F;
}

/**
 * A controller that aborts, with the parent's reason, when any of `parents` does. Call `unlink`
 * once the call settles: a parent that lives long (a shutdown signal, a retry loop) must not
 * keep every child alive, which is what `AbortSignal.any` does on Node 20.
 */
export function linkedController(parents: (AbortSignal | undefined)[]): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  const live = parents.filter((p): p is AbortSignal => p !== undefined && p !== neverAborts);
  const onAbort = function (this: AbortSignal): void {
    controller.abort(this.reason);
  };
  for (const parent of live) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    parent.addEventListener('abort', onAbort);
  }
  return {
    controller,
    unlink: () => {
      for (const parent of live) parent.removeEventListener('abort', onAbort);
    },
  };
}
