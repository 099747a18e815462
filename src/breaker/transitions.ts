import type { CircuitState } from '../machine/machine.js';
import type { BreakerInternals } from './internals.js';
import { emit } from './listeners.js';
import { publishState } from './diagnostics.js';

/**
 * What follows a change of state: the time is noted, the listeners hear it (option callbacks
 * first: `onOpen` with `open`, `onStateChange` with `stateChange`), and a shared store is told.
 */
export function onTransition(internals: BreakerInternals, from: CircuitState, to: CircuitState): void {
  internals.since = internals.now();
  // What opened the circuit is history once it closes: a later refusal must not blame it.
  if (to === 'closed') internals.lastFailure = undefined;
  if (to === 'open') emit(internals, 'open', { from, cause: internals.lastFailure });
  else if (to === 'closed') emit(internals, 'close', { from });
  else if (to === 'half-open') emit(internals, 'halfOpen', { from });
  emit(internals, 'stateChange', { from, to });
  publishState(internals.name, from, to);
  // An open kept in this process is no news for the fleet (see `shareOpenPeriodOf`).
  if (!(to === 'open' && (internals.machine.phase as { local?: true }).local)) internals.link?.changed(from, to);
}
