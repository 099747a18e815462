import type { CircuitBreaker, CircuitRegistry } from 'circuitry';
import type { DurationHistogram } from './histogram.js';
import { createHistogram, observeSeconds } from './histogram.js';

/** The outcomes a call duration is recorded under. */
type TimedOutcome = 'success' | 'failure' | 'ignored';

/** What the events of one breaker have told an exporter: what `stats()` cannot. */
export interface BreakerObservations {
  /** Transitions by `from` then `to`, counted since the exporter started. */
  readonly transitions: Map<string, Map<string, number>>;
  /** 1 while its store answers, 0 during an outage; undefined until its first outage. */
  storeUp: 0 | 1 | undefined;
  /** Call durations by outcome, when durations are on; an outcome is absent until seen. */
  readonly durations: Partial<Record<TimedOutcome, DurationHistogram>>;
}

/** Per-breaker observations of a registry, held weakly, and how to stop making them. */
export interface Observations {
  of(breaker: CircuitBreaker): BreakerObservations | undefined;
  close(): void;
}

/** What an exporter wants to hear about besides what it keeps here. */
interface ObservationHooks {
  /** Bucket bounds in seconds; undefined leaves durations unmeasured. */
  readonly buckets: readonly number[] | undefined;
  readonly onTransition?: ((key: string, from: string, to: string) => void) | undefined;
  /** Called for each timed call, which stands for `weight` calls. */
  readonly onDuration?: ((key: string, outcome: TimedOutcome, seconds: number, weight: number) => void) | undefined;
}

/**
 * Listens to a registry's events and keeps, per breaker, what a scrape cannot read from
 * `stats()`: transitions (a scrape misses a short opening), the store's health and call
 * durations. Keyed weakly by breaker, so a collected breaker takes its series with it.
 */
export function observeRegistry(registry: CircuitRegistry, hooks: ObservationHooks): Observations {
  const byBreaker = new WeakMap<CircuitBreaker, BreakerObservations>();
  const observed = (breaker: CircuitBreaker): BreakerObservations => {
    let mine = byBreaker.get(breaker);
    if (mine === undefined) byBreaker.set(breaker, (mine = { transitions: new Map(), storeUp: undefined, durations: {} }));
    return mine;
  };
  const offs = [
    registry.on('stateChange', ({ breaker, key, from, to }) => {
      const transitions = observed(breaker).transitions;
      let byTo = transitions.get(from);
      if (byTo === undefined) transitions.set(from, (byTo = new Map()));
      byTo.set(to, (byTo.get(to) ?? 0) + 1);
      hooks.onTransition?.(key, from, to);
    }),
    registry.on('storeDown', ({ breaker }) => {
      observed(breaker).storeUp = 0;
    }),
    registry.on('storeUp', ({ breaker }) => {
      observed(breaker).storeUp = 1;
    }),
  ];
  const buckets = hooks.buckets;
  if (buckets !== undefined) {
    for (const outcome of ['success', 'failure', 'ignored'] as const) {
      offs.push(
        registry.on(outcome, ({ breaker, key, duration, weight }) => {
          // A call the breaker did not time (measureDurations samples) has weight 0 and no duration.
          if (!(weight > 0)) return;
          const seconds = duration / 1000;
          const durations = observed(breaker).durations;
          observeSeconds((durations[outcome] ??= createHistogram(buckets)), seconds, weight);
          hooks.onDuration?.(key, outcome, seconds, weight);
        }),
      );
    }
  }
  return { of: (breaker) => byBreaker.get(breaker), close: () => offs.forEach((off) => off()) };
}
