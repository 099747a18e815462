import { defaultRegistry } from 'circuitry';
import type { CircuitRegistry } from 'circuitry';
import { invalid, optionsObject } from '../../check/check.js';
import { checkBuckets } from '../watch/histogram.js';
import type { Naming } from './families.js';
import { circuitryNaming, resilience4jNaming } from './families.js';

/** Options of {@link toPrometheus} and {@link registerPromClientMetrics}. */
export interface PrometheusOptions {
  /** The breakers to report. Default: `defaultRegistry`. */
  registry?: CircuitRegistry | undefined;
  /** Prepended to every metric name of circuitry's own names. Default `'circuitry_'`. */
  prefix?: string | undefined;
  /**
   * Which names and labels: `'circuitry'` (default), or `'resilience4j'` for
   * resilience4j-micrometer's (`resilience4j_circuitbreaker_state{name,state}`...), so dashboards
   * made for it read circuitry's breakers. `prefix` applies to circuitry's names only.
   */
  names?: 'circuitry' | 'resilience4j' | undefined;
}

/** Options of {@link prometheusExporter}. */
export interface PrometheusExporterOptions extends PrometheusOptions {
  /**
   * Call durations as a histogram in seconds (`circuitry_call_duration_seconds`), with these
   * bucket bounds (default `[0.005, 0.025, 0.1, 0.25, 1, 2.5, 10]`), or `false` for none.
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

interface CheckedOptions {
  readonly registry: CircuitRegistry;
  readonly naming: Naming;
  /** Bucket bounds when durations are measured. */
  readonly buckets: readonly number[] | undefined;
}

const PROMETHEUS_KEYS = ['registry', 'prefix', 'names'];

export function checkPrometheusOptions(options: unknown, what = 'prometheus', known = PROMETHEUS_KEYS, durationsByDefault = false): CheckedOptions {
  const o = optionsObject(options, what, known);
  const registry = (o.registry ?? defaultRegistry) as CircuitRegistry;
  const prefix = o.prefix ?? 'circuitry_';
  const names = o.names ?? 'circuitry';
  if (typeof (registry as Partial<CircuitRegistry> | null)?.entries !== 'function') invalid(TypeError, 'registry', 'a CircuitRegistry', registry);
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    invalid(TypeError, 'prefix', 'a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
  }
  if (names !== 'circuitry' && names !== 'resilience4j') invalid(TypeError, 'names', "'circuitry' or 'resilience4j'", names);
  let buckets: readonly number[] | undefined;
  const durations = o.durations;
  if (durations === undefined) buckets = durationsByDefault ? checkBuckets(undefined, 'durations.buckets') : undefined;
  else if (durations === false) buckets = undefined;
  else buckets = checkBuckets(optionsObject(durations, 'durations', ['buckets']).buckets, 'durations.buckets');
  const timed = buckets !== undefined;
  return { registry, naming: names === 'resilience4j' ? resilience4jNaming(timed) : circuitryNaming(prefix, timed), buckets };
}
