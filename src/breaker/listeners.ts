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
  internals.timed = needsDurations(internals);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    const rest = (table[event] ?? []).filter((e) => e !== entry);
    table[event] = rest.length > 0 ? rest : undefined;
    internals.timed = needsDurations(internals);
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

/** Whether anything needs call durations: slow-call detection, or a duration listener. */
export function needsDurations(internals: BreakerInternals): boolean {
  const l = internals.listeners;
  return internals.options.slowCallDuration !== undefined || (l !== undefined && (l.success !== undefined || l.failure !== undefined || l.ignored !== undefined || l.aborted !== undefined));
}
