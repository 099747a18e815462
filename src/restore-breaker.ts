import { CircuitBreaker, coreOf } from './breaker.js';
import { invalid } from './core/invalid-option.js';
import type { BreakerOptions } from './core/options.js';
import { CircuitRegistry, defaultRegistry } from './observe/registry.js';
import type { CircuitSnapshot } from './core/snapshot.js';
import { restoreMachine } from './core/snapshot.js';

/**
 * A new breaker in the state a snapshot from `breaker.toJSON()` describes: its counts, its
 * policy's window, and for an open circuit the time it opened, so it stays open only for what
 * was left (with the default clock, times are `Date.now()` readings and survive a restart).
 * `options` are the breaker's options as for `new CircuitBreaker`; its name defaults to the
 * snapshot's.
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
  if (registry !== false && !(registry instanceof CircuitRegistry)) invalid(TypeError, 'registry', 'a CircuitRegistry or false', registry);
  // Registered only once restored: a snapshot that is refused leaves no breaker behind anywhere.
  const breaker = new CircuitBreaker({ ...options, ...(name !== undefined && { name }), registry: false });
  const core = coreOf(breaker);
  restoreMachine(core.machine, snapshot, core.now());
  if (registry !== false) registry.register(breaker);
  return breaker;
}
