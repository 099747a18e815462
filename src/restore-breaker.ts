import { CircuitBreaker, coreOf } from './breaker.js';
import type { BreakerOptions } from './core/options.js';
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
  const breaker = new CircuitBreaker(name === undefined ? options : { ...options, name });
  restoreMachine(coreOf(breaker).machine, snapshot);
  return breaker;
}
