import { BulkheadRejectedError } from '../breaker/errors.js';
import { invalid } from '../check/check.js';
import type { ErrorReporter } from '../breaker/report.js';
import { safeReport } from '../breaker/report.js';
import { callWithSignal, linkedController, outerSignal } from '../breaker/call-signal.js';

// A bulkhead's permits and its queue: how many calls run at once, who waits, and in what order.

/** What a bulkhead's `rejected` listeners hear. */
export interface BulkheadRejection {
  /** The refusal the caller gets. */
  readonly error: BulkheadRejectedError;
}

/** A bulkhead's counts: `bulkhead.stats()`. */
export interface BulkheadStats {
  /** Calls running now, each holding a permit. */
  readonly inFlight: number;
  /** Calls waiting for a permit now. */
  readonly queued: number;
  /** Calls turned away since the bulkhead was made: queue full, or `queueTimeout` passed. */
  readonly rejections: number;
  /** Calls that left the queue because their signal aborted, since the bulkhead was made. */
  readonly abandoned: number;
}

/**
 * The bulkhead behind a function or method guarded by `bulkhead`: its limits, its counts, and
 * its one event.
 */
export interface Bulkhead {
  /** Its name, as refusals say it: the `name` option, the function's name, or `Class.method`. */
  readonly name: string;
  /** Calls that may run at once. */
  readonly maxConcurrent: number;
  /** Calls that may wait for a permit; beyond that a call is refused at once. */
  readonly maxQueue: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Its counts, as one object. */
  stats(): BulkheadStats;
  /**
   * Adds a listener of refusals; returns the function that removes it. What a listener throws is
   * reported (`reportError`, source `'rejected'`), never thrown to the caller.
   */
  on(event: 'rejected', listener: (payload: BulkheadRejection) => void): () => void;
}

/** A bulkhead's checked options. */
export interface PermitLimits {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeout: number | undefined;
  readonly reportError: ErrorReporter;
}

/** A call waiting for a permit. */
interface Waiter {
  readonly admit: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The bulkhead, and how a wrapper runs a call through it. */
export interface Permits extends Bulkhead {
  /**
   * Runs `fn` (wrapped by `withCallSignal`) with a permit, now or once one frees up; `own` is the
   * caller's signal from the `signal` option. Always a promise: a refusal, an abort while queued and a synchronous throw
   * all arrive as rejections.
   */
  run(fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[], own: AbortSignal | undefined): Promise<unknown>;
}

export function createPermits(name: string, limits: PermitLimits): Permits {
  const { maxConcurrent, maxQueue, queueTimeout, reportError } = limits;
  let inFlight = 0;
  let rejections = 0;
  let abandoned = 0;
  // A Set keeps insertion order, so it is a FIFO queue whose aborted waiters leave in O(1).
  const queue = new Set<Waiter>();
  let listeners: readonly ((payload: BulkheadRejection) => void)[] = [];

  // One pair of handlers for every call: releasing the permit needs nothing from the call.
  const released = (value: unknown): unknown => {
    release();
    return value;
  };
  const releasedThrowing = (error: unknown): never => {
    release();
    throw error;
  };

  function release(): void {
    inFlight -= 1;
    const next = queue.values().next();
    if (next.done !== true) {
      leave(next.value);
      next.value.admit();
    }
  }

  function leave(waiter: Waiter): void {
    queue.delete(waiter);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  function start(fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[], signal: AbortSignal | undefined): Promise<unknown> {
    inFlight += 1;
    let result: unknown;
    try {
      // Without a signal of its own, `fn` (made by `withCallSignal`) sees the enclosing call's
      // signal or one that never aborts, with no closure made per call.
      result = signal === undefined ? fn.apply(self, args) : callWithSignal(signal, () => fn.apply(self, args));
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(released, releasedThrowing);
  }

  function refuse(reason: 'full' | 'queueTimeout'): BulkheadRejectedError {
    const error = new BulkheadRejectedError(name, reason, limits);
    rejections += 1;
    for (const listener of listeners) {
      try {
        listener({ error });
      } catch (listenerError) {
        safeReport(reportError, listenerError, 'rejected', name);
      }
    }
    return error;
  }

  function run(fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[], own: AbortSignal | undefined): Promise<unknown> {
    const outer = outerSignal();
    if (own?.aborted) return Promise.reject(own.reason);
    if (own === undefined) {
      if (inFlight < maxConcurrent) return start(fn, self, args, undefined);
      // Admitted later, outside the enclosing call's synchronous start: its signal is set again.
      return wait(outer, () => start(fn, self, args, outer));
    }
    if (outer === undefined) {
      if (inFlight < maxConcurrent) return start(fn, self, args, own);
      return wait(own, () => start(fn, self, args, own));
    }
    // Both the caller's signal and an enclosing wrapper's apply: the call sees either's abort.
    const { controller, unlink } = linkedController([outer, own]);
    const admitted = () => start(fn, self, args, controller.signal);
    const settled = inFlight < maxConcurrent ? admitted() : wait(controller.signal, admitted);
    return settled.finally(unlink);
  }

  function wait(signal: AbortSignal | undefined, admitted: () => Promise<unknown>): Promise<unknown> {
    if (queue.size >= maxQueue) return Promise.reject(refuse('full'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => resolve(admitted()),
        signal,
        onAbort: () => {
          leave(waiter);
          abandoned += 1;
          reject(signal!.reason);
        },
        timer: undefined,
      };
      queue.add(waiter);
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      // A timer only while this call waits: an empty queue holds none.
      if (queueTimeout !== undefined) {
        waiter.timer = setTimeout(() => {
          leave(waiter);
          reject(refuse('queueTimeout'));
        }, queueTimeout);
      }
    });
  }

  return {
    name,
    maxConcurrent,
    maxQueue,
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queue.size;
    },
    stats: () => ({ inFlight, queued: queue.size, rejections, abandoned }),
    on(event, listener) {
      if (event !== 'rejected') invalid(TypeError, 'event', '"rejected" (a bulkhead\'s one event)', event);
      if (typeof listener !== 'function') invalid(TypeError, 'listener', 'a function', listener);
      // Lists are replaced, never changed in place, so a refusal being told sees a stable list.
      listeners = [...listeners, listener];
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        listeners = listeners.filter((l) => l !== listener);
      };
    },
    run,
  };
}
