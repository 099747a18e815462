import type { CircuitStore } from '../breaker/store-link.js';
import type { SharedStoreOptions } from './shared-store.js';
import { sharedStoreOn } from './shared-store.js';
import type { SharedStateBackend } from './shared-record.js';
import type { Timers } from './transport.js';

const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // Unlike a guarded call's, a store's timer must not keep a process alive that is otherwise done.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/**
 * Makes a store that shares circuit state between processes through `backend` (see
 * {@link SharedStateBackend}; `redisStore` from `circuitry/redis` is this over Redis).
 *
 * - The closed-state path never waits for the store: failures are counted in each process, and
 *   the process whose count trips the circuit publishes the open.
 * - Every `syncInterval` the store reads the shared records of its breakers (one batch) and
 *   takes in what others decided: an open, a close, the time left.
 * - When the open period is over, one process at a time holds the trial lease and runs up to
 *   `halfOpenMaxCalls` trial calls; the lease lasts one open period, so a crashed prober cannot
 *   wedge the fleet. Its trials close or re-open the circuit for everyone.
 * - When the store fails or is slow, no call waits for it longer than `timeout`: each process
 *   decides from its local state, publishes what changed when the store answers again, and emits
 *   `storeDown`/`storeUp`. At most three requests per breaker, plus about 1 + log2(hang / timeout)
 *   probes per store, are ever queued, however long the store hangs.
 * - A record the store holds that this version cannot use (another program's key, a damaged
 *   record, a later format) is that breaker's problem only: it decides alone, said once.
 *
 * @example
 * ```ts no-run
 * const store = sharedStore(myBackend, { syncInterval: 250 });
 * const breaker = new CircuitBreaker({ name: 'payments', store });
 * ```
 * @throws TypeError or RangeError naming the option when an option is invalid.
 */
export function sharedStore(backend: SharedStateBackend, options: SharedStoreOptions = {}): CircuitStore {
  return sharedStoreOn(backend, options, realTimers);
}
