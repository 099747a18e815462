import { adoptOpen, closeAfterOutage, currentState, openPeriodFor } from '../machine/machine.js';
import type { TripPolicy } from '../machine/trip-policy.js';
import type { AttachedBreaker, OutcomeCounter } from './attached-breaker.js';
import type { BreakerInternals } from './internals.js';
import { report } from './internals.js';
import { emit, listening } from './listeners.js';

// The store holds its side weakly, so a breaker nobody uses can be collected while attached;
// this keeps the side alive exactly as long as the breaker's core.
const sides = new WeakMap<BreakerInternals, AttachedBreaker>();

/** The breaker's side of a store: the one place where a store reaches into a breaker. */
export function attachBreaker(core: BreakerInternals): AttachedBreaker {
  const m = core.machine;
  const side: AttachedBreaker = {
    name: core.name,
    now: core.now,
    // An open kept in this process (`openPeriodOf` without `shareOpenPeriodOf`) is, to the store,
    // what an isolation is: this process's own, neither published nor undone by the fleet.
    state() {
      const state = currentState(m, core.now);
      return state === 'open' && (m.phase as { local?: true }).local ? 'isolated' : state;
    },
    opening() {
      const phase = m.phase;
      if (phase.state === 'open') return { elapsed: core.now() - phase.openedAt, openPeriod: phase.openPeriod };
      if (phase.state === 'half-open') return { elapsed: phase.trialLapse, openPeriod: phase.trialLapse };
      return undefined;
    },
    openings: () => m.openings,
    manual: () => core.manual,
    adoptOpen(elapsed, openPeriod, openings) {
      if (currentState(m, core.now) !== 'open') core.lastFailure = undefined;
      adoptOpen(m, core.now(), elapsed, openPeriod, openings);
    },
    // The fleet's close ends this process's outage too: it ramps, when configured, as its own would.
    adoptClose: () => closeAfterOutage(m, core.now()),
    window: () => core.options.policy?.window,
    tripPeriod: () => openPeriodFor(m, m.openings + 1),
    countOutcomes(counter) {
      const policy = m.policy as (TripPolicy & { counter?: OutcomeCounter }) | undefined;
      if (policy === undefined || policy.counter === counter) return;
      // The policy keeps its window (for stats(), and for judging alone while the store is away);
      // the counter says whether its verdict stands.
      const counted: TripPolicy & { counter: OutcomeCounter } = {
        ...policy,
        counter,
        onSuccess: (slow, now) => counter.counted(false, slow, policy.onSuccess(slow, now)),
        onFailure: (slow, now) => counter.counted(true, slow, policy.onFailure(slow, now)),
        reset() {
          counter.cleared();
          policy.reset();
        },
      };
      (m as { policy: TripPolicy | undefined }).policy = counted;
    },
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
