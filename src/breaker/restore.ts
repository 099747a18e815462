import type { BreakerOptions } from './breaker.js';
import { CircuitBreaker } from './breaker.js';
import { internalsOf } from './internals.js';
import { checkRegistry } from './options.js';
import { defaultRegistry } from './registry.js';
import type { CircuitSnapshot } from './snapshot.js';
import { restoreMachine } from './snapshot.js';

/**
 * A new breaker in the state a snapshot from `breaker.toJSON()` describes: its counts, its
 * policy's window, and for an open circuit the time it opened, so it stays open only for what
 * was left (with the default clock, times are `Date.now()` readings and survive a restart).
 * `options` are the breaker's options as for `new CircuitBreaker`; its name defaults to the
 * snapshot's. It registers as a breaker made with that name does: restored again at the same
 * place, the new breaker takes the name over from the last, so saving and restoring around
 * every call works (see `CircuitRegistry`).
 *
 * @example
 * ```ts
 * const saved = JSON.parse(await fs.readFile('payments-circuit.json', 'utf8'));
 * const payments = restoreBreaker(saved, { failureThreshold: 3 });
 * ```
 * @throws TypeError or RangeError naming what is wrong when the snapshot (or an option) is
 *   malformed or out of range; nothing is created then.
 */
export function restoreBreaker(snapshot: CircuitSnapshot, options: BreakerOptions = {}): CircuitBreaker {
  const savedName = (snapshot as { name?: unknown } | null)?.name;
  const name = options.name ?? (typeof savedName === 'string' && savedName !== '' ? savedName : undefined);
  const { registry = name === undefined ? false : defaultRegistry } = options;
  checkRegistry(registry);
  // Registered only once restored: a snapshot that is refused leaves no breaker behind anywhere.
  const breaker = new CircuitBreaker({ ...options, ...(name !== undefined && { name }), registry: false });
  const internals = internalsOf(breaker);
  // An open a dependency asked for (a Retry-After) may outlast recoveryTimeout, up to maxOpenPeriod.
  const { openPeriodOf, maxOpenPeriod } = internals.options;
  restoreMachine(internals.machine, snapshot, internals.now(), openPeriodOf === undefined ? 0 : maxOpenPeriod);
  if (registry !== false) registry.register(breaker);
  return breaker;
}
