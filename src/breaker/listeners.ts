import type { CircuitEvent, CircuitEvents, ListenerEntry } from './events.js';
import type { BreakerInternals } from './internals.js';
import { report } from './internals.js';

/**
 * Adds a listener of `event`, after the other listeners of its kind (option callbacks before
 * `on()` listeners). Returns the function that removes it; calling it again does nothing.
 */
export function addListener<E extends CircuitEvent>(internals: BreakerInternals, event: E, entry: ListenerEntry<E>): () => void {
  const table = (internals.listeners ??= {}) as Record<CircuitEvent, readonly ListenerEntry<E>[] | undefined>;
  const current = table[event] ?? [];
  const at = entry.fromOption ? current.filter((e) => e.fromOption).length : current.length;
  // Lists are replaced, never changed in place, so an emit in progress sees a stable list.
  table[event] = [...current.slice(0, at), entry, ...current.slice(at)];
  internals.timeEvery = timeEvery(internals);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    const rest = (table[event] ?? []).filter((e) => e !== entry);
    table[event] = rest.length > 0 ? rest : undefined;
    internals.timeEvery = timeEvery(internals);
  };
}

/** Whether anyone listens to `event`: callers build a payload only then. */
export function listening(internals: BreakerInternals, event: CircuitEvent): boolean {
  return internals.listeners?.[event] !== undefined;
}

/**
 * Calls the listeners of `event`, if any. What a listener throws is reported under its source,
 * and the others still run. On call paths, check {@link listening} before building the payload,
 * so that nobody listening costs no allocation.
 */
export function emit<E extends CircuitEvent>(internals: BreakerInternals, event: E, payload: CircuitEvents[E]): void {
  const entries = internals.listeners?.[event];
  if (entries === undefined) return;
  for (const entry of entries) {
    try {
      entry.listener(payload);
    } catch (error) {
      report(internals, error, entry.source);
    }
  }
}

/**
 * One call in how many to time: every call for slow-call detection; while a duration listener is
 * attached, as `measureDurations` says; none otherwise.
 */
export function timeEvery(internals: BreakerInternals): number {
  if (internals.options.slowCallDuration !== undefined) return 1;
  const l = internals.listeners;
  const listened = l !== undefined && (l.success !== undefined || l.failure !== undefined || l.ignored !== undefined || l.aborted !== undefined);
  return listened ? internals.options.measureEvery : 0;
}
