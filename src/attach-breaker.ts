import type { BreakerCore } from './breaker-core.js';
import { emit, listening, report } from './breaker-core.js';
import { adoptOpen, close, currentState } from './core/machine.js';
import type { AttachedBreaker } from './store/attached-breaker.js';
import type { SharedStateBackend } from './store/shared-record.js';
import type { SharedStoreOptions } from './store/shared-store.js';
import { createSharedStore } from './store/shared-store.js';
import type { CircuitStore } from './store/store-link.js';
import { registerSide } from './store/store-link.js';
import type { Timers } from './store/transport.js';
import { realTimers } from './store/transport.js';

// The store holds its side weakly, so a breaker nobody uses can be collected while attached;
// this keeps the side alive exactly as long as the breaker's core.
const sides = new WeakMap<BreakerCore, AttachedBreaker>();

/** The breaker's side of a store: the one place where a store reaches into a breaker. */
function attachBreaker(core: BreakerCore): AttachedBreaker {
  const m = core.machine;
  const side: AttachedBreaker = {
    name: core.name,
    now: core.now,
    state: () => currentState(m, core.now),
    openPeriod() {
      const phase = m.phase;
      if (phase.state === 'open') return { elapsed: core.now() - phase.openedAt, period: phase.openFor };
      if (phase.state === 'half-open') return { elapsed: phase.lapseAfter, period: phase.lapseAfter };
      return undefined;
    },
    openings: () => m.openings,
    manual: () => core.manual,
    adoptOpen(elapsed, period, openings) {
      if (currentState(m, core.now) !== 'open') core.lastFailure = undefined;
      adoptOpen(m, core.now(), elapsed, period, openings);
    },
    adoptClose: () => close(m),
    setTrialGate(gate) {
      m.trialGate = gate;
    },
    storeDown(error, operation) {
      report(core, error, 'store');
      if (listening(core, 'storeDown')) emit(core, 'storeDown', { error, operation });
    },
    storeUp(downFor) {
      if (listening(core, 'storeUp')) emit(core, 'storeUp', { downFor });
    },
  };
  sides.set(core, side);
  return side;
}

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
 *   `storeDown`/`storeUp`. At most three requests per breaker, plus one probe per store, are ever
 *   queued, however long the store hangs.
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

/** {@link sharedStore} on the given timers (the fleet simulation runs it on virtual time). */
export function sharedStoreOn(backend: SharedStateBackend, options: SharedStoreOptions, timers: Timers): CircuitStore {
  const store = createSharedStore(backend, options, timers);
  registerSide(store, attachBreaker);
  return store;
}
