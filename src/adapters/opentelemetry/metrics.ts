import { defaultRegistry } from 'circuitry';
import type { CircuitRegistry, CircuitState } from 'circuitry';
import { invalid, optionsObject } from '../../check/check.js';
import { checkBuckets } from '../watch/histogram.js';
import { observeRegistry } from '../watch/observations.js';
import type { Attributes, BatchObservableResultLike, MeterLike } from './meter-like.js';

/** Options of {@link registerOpenTelemetryMetrics}. */
export interface OpenTelemetryOptions {
  /** The breakers to report. Default: `defaultRegistry`. */
  registry?: CircuitRegistry | undefined;
  /**
   * Call durations as the histogram `circuitry.call.duration` (seconds), with these bucket
   * bounds as advice (default `[0.005, 0.025, 0.1, 0.25, 1, 2.5, 10]`), or `false` for none.
   * Measuring them costs every breaker two clock reads a call.
   */
  durations?:
    | {
        /** Upper bounds in seconds, increasing. */
        buckets?: readonly number[] | undefined;
      }
    | false
    | undefined;
}

/** What {@link registerOpenTelemetryMetrics} returns. */
export interface OpenTelemetryRegistration {
  /** Stops listening to the breakers and reporting observed values. */
  close(): void;
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated', 'disabled'];
const NAME = 'circuitry.circuit.name';
const OUTCOME = 'circuitry.call.outcome';

/**
 * Reports every breaker of a registry through your own OpenTelemetry `Meter`; circuitry imports
 * no OpenTelemetry package. There is no semantic convention for circuit breakers (Polly's
 * `resilience.polly.*` is the nearest precedent), so the names follow OpenTelemetry's general
 * naming rules, under the `circuitry.` namespace, attribute `circuitry.circuit.name` being the
 * breaker's key in the registry:
 *
 * - `circuitry.circuit.state` (observable up-down counter, `{circuit}`): 1 for the current state
 *   (attribute `circuitry.circuit.state`), 0 for the others;
 * - `circuitry.circuit.transitions` (counter, `{transition}`): attributes
 *   `circuitry.circuit.state.from` and `circuitry.circuit.state`;
 * - `circuitry.calls` (observable counter, `{call}`): attribute `circuitry.call.outcome`
 *   (`success`, `failure`, `rejected`, `ignored`, `aborted`);
 * - `circuitry.call.duration` (histogram, `s`, on the breaker's clock): `circuitry.call.outcome`
 *   `success`, `failure` or `ignored`;
 * - `circuitry.circuit.consecutive_failures` (observable gauge, `{failure}`);
 * - `circuitry.window.failure_rate` and `circuitry.window.slow_call_rate` (observable gauges, `1`),
 *   for breakers with a window policy;
 * - `circuitry.store.up` (observable gauge): 1 while the store answers, 0 in an outage, once one
 *   was seen.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { registerOpenTelemetryMetrics } from 'circuitry/opentelemetry';
 * registerOpenTelemetryMetrics(metrics.getMeter('my-service'));
 * ```
 */
export function registerOpenTelemetryMetrics(meter: MeterLike, options: OpenTelemetryOptions = {}): OpenTelemetryRegistration {
  if (typeof meter?.createHistogram !== 'function' || typeof meter.addBatchObservableCallback !== 'function') {
    invalid(TypeError, 'meter', 'an OpenTelemetry Meter', meter);
  }
  const o = optionsObject(options, 'registerOpenTelemetryMetrics', ['registry', 'durations']);
  const registry = (o.registry ?? defaultRegistry) as CircuitRegistry;
  if (typeof (registry as Partial<CircuitRegistry> | null)?.entries !== 'function') invalid(TypeError, 'registry', 'a CircuitRegistry', registry);
  const durations = o.durations;
  const buckets = durations === false ? undefined : checkBuckets(durations === undefined ? undefined : optionsObject(durations, 'durations', ['buckets']).buckets, 'durations.buckets');

  const transitions = meter.createCounter('circuitry.circuit.transitions', { description: 'Changes of state of a circuit.', unit: '{transition}' });
  const duration =
    buckets === undefined
      ? undefined
      : meter.createHistogram('circuitry.call.duration', { description: "Duration of calls through a circuit, on the breaker's clock.", unit: 's', advice: { explicitBucketBoundaries: [...buckets] } });
  const observations = observeRegistry(registry, {
    buckets,
    onTransition: (key, from, to) => transitions.add(1, { [NAME]: key, 'circuitry.circuit.state.from': from, 'circuitry.circuit.state': to }),
    onDuration:
      duration === undefined
        ? undefined
        : (key, outcome, seconds, weight) => {
            // Histogram.record takes no weight: a sampled call is recorded once per call it stands for.
            for (let i = 0; i < weight; i++) duration.record(seconds, { [NAME]: key, [OUTCOME]: outcome });
          },
  });

  const state = meter.createObservableUpDownCounter('circuitry.circuit.state', { description: 'The state of a circuit: 1 for the current one.', unit: '{circuit}' });
  const calls = meter.createObservableCounter('circuitry.calls', { description: 'Calls through a circuit, by outcome.', unit: '{call}' });
  const consecutive = meter.createObservableGauge('circuitry.circuit.consecutive_failures', { description: 'Counted failures in a row.', unit: '{failure}' });
  const failureRate = meter.createObservableGauge('circuitry.window.failure_rate', { description: 'Counted failures among the calls the window holds.', unit: '1' });
  const slowRate = meter.createObservableGauge('circuitry.window.slow_call_rate', { description: 'Slow calls among the calls the window holds.', unit: '1' });
  const storeUp = meter.createObservableGauge('circuitry.store.up', { description: "1 while the circuit's shared store answers, 0 during an outage.", unit: '1' });
  const observables = [state, calls, consecutive, failureRate, slowRate, storeUp];
  // One pass over the registry per collection: every observable reads the same stats().
  const collect = (result: BatchObservableResultLike) => {
    for (const [key, breaker] of registry.entries()) {
      const stats = breaker.stats();
      const own: Attributes = { [NAME]: key };
      for (const s of STATES) result.observe(state, s === stats.state ? 1 : 0, { [NAME]: key, 'circuitry.circuit.state': s });
      result.observe(calls, stats.successes, { [NAME]: key, [OUTCOME]: 'success' });
      result.observe(calls, stats.failures, { [NAME]: key, [OUTCOME]: 'failure' });
      result.observe(calls, stats.rejections, { [NAME]: key, [OUTCOME]: 'rejected' });
      result.observe(calls, stats.ignored, { [NAME]: key, [OUTCOME]: 'ignored' });
      result.observe(calls, stats.aborted, { [NAME]: key, [OUTCOME]: 'aborted' });
      result.observe(consecutive, stats.consecutiveFailures, own);
      const window = stats.window;
      if (window !== undefined) {
        result.observe(failureRate, window.calls === 0 ? 0 : window.failures / window.calls, own);
        result.observe(slowRate, window.calls === 0 ? 0 : window.slowCalls / window.calls, own);
      }
      const up = observations.of(breaker)?.storeUp;
      if (up !== undefined) result.observe(storeUp, up, own);
    }
  };
  meter.addBatchObservableCallback(collect, observables);
  let open = true;
  return {
    close() {
      if (!open) return;
      open = false;
      observations.close();
      meter.removeBatchObservableCallback(collect, observables);
    },
  };
}
