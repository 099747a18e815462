import { invalid } from '../../check/check.js';
import { observeRegistry } from '../watch/observations.js';
import type { Observations } from '../watch/observations.js';
import type { Extra, Row } from './families.js';
import type { PrometheusExporterOptions } from './options.js';
import { checkPrometheusOptions } from './options.js';
import { readRows } from './render.js';

/**
 * The slice of prom-client's module this adapter uses; pass the module itself. The constructors
 * are typed loosely so that every prom-client version's own precise types fit.
 */
export interface PromClientLike {
  /** prom-client's `Gauge` class: checked to be there, so that a wrong argument is refused early. */
  Gauge: new (config: any) => unknown;
  /** prom-client's `Counter` class, likewise. */
  Counter: new (config: any) => unknown;
  /** prom-client's `Histogram` class, for call durations; without it, durations are not measured. */
  Histogram?: {
    /** prom-client's `new Histogram(config)`. */
    new (config: any): unknown;
  };
}

/** The configuration the adapter gives each prom-client metric. */
export interface PromMetricConfig {
  /** The metric name, prefix included. */
  name: string;
  /** The `# HELP` text. */
  help: string;
  /** The label names, the breaker's (`circuit`) first. */
  labelNames: string[];
  /** The prom-client registry the metric joins. */
  registers: unknown[];
  /** Called by prom-client at each scrape: reads every breaker of the registry afresh. */
  collect?(this: PromMetricLike): void;
  /** A histogram's bucket bounds, in seconds. */
  buckets?: number[];
}

/** The slice of a prom-client gauge, counter or histogram the adapter uses. */
export interface PromMetricLike {
  /** A gauge's setter. */
  set?(labels: Record<string, string>, value: number): void;
  /** A counter's increment. */
  inc?(labels: Record<string, string>, value: number): void;
  /** A histogram's observation. */
  observe?(labels: Record<string, string>, value: number): void;
  /** Drops every labelled value, so breakers that are gone leave no stale series. */
  reset(): void;
}

/** The slice of a prom-client `Registry` the adapter uses: it registers its metrics there. */
export interface PromRegistryLike {
  /** prom-client's `registry.registerMetric(metric)`. */
  registerMetric(metric: unknown): void;
}

/** What {@link registerPromClientMetrics} returns. */
export interface PromClientRegistration {
  /** Stops listening to the registry's breakers (transitions, store health, durations). */
  close(): void;
}

const PROM_CLIENT_KEYS = ['registry', 'prefix', 'names', 'durations'];

/**
 * Adds circuitry's metrics to a prom-client registry, for services that already run
 * prom-client: the metrics of {@link prometheusExporter}. Pass your own prom-client module and
 * registry; circuitry never imports it. Counts and states are read from the breakers whenever
 * prom-client collects, and handed to it as they are; durations go to a prom-client `Histogram`
 * as calls end.
 *
 * @example
 * ```ts
 * import client from 'prom-client';
 * import { registerPromClientMetrics } from 'circuitry/prometheus';
 * registerPromClientMetrics(client, client.register);
 * ```
 */
export function registerPromClientMetrics(promClient: PromClientLike, promRegistry: PromRegistryLike | unknown, options: PrometheusExporterOptions = {}): PromClientRegistration {
  if (typeof promClient?.Gauge !== 'function' || typeof promClient.Counter !== 'function') {
    invalid(TypeError, 'promClient', 'the prom-client module', promClient);
  }
  const Histogram = promClient.Histogram;
  const checked = checkPrometheusOptions(options, 'registerPromClientMetrics', PROM_CLIENT_KEYS, typeof Histogram === 'function');
  const { registry, naming } = checked;
  const buckets = typeof Histogram === 'function' ? checked.buckets : undefined;
  const circuitLabel = naming.circuitLabel;
  const timedFamily = naming.families.find((family) => family.type === 'histogram');
  const histogramLabel = timedFamily?.labelNames[0] ?? 'outcome';
  const histogramKinds = circuitLabel === 'name' ? { success: 'successful', failure: 'failed', ignored: 'ignored' } : { success: 'success', failure: 'failure', ignored: 'ignored' };
  let histogram: PromMetricLike | undefined;
  const observations: Observations = observeRegistry(registry, {
    buckets,
    onDuration: (key, outcome, seconds, weight) => {
      // prom-client's observe takes no weight: a sampled call is observed once per call it stands for.
      for (let i = 0; i < weight; i++) histogram?.observe!({ [circuitLabel]: key, [histogramLabel]: histogramKinds[outcome] }, seconds);
    },
  });
  // One read of the registry serves every family of a scrape: prom-client collects them one by
  // one, so rows are kept for the tick in which they were read.
  let rows: Row[] | undefined;
  const rowsNow = () => {
    if (rows === undefined) {
      rows = readRows(registry, observations);
      queueMicrotask(() => (rows = undefined));
    }
    return rows;
  };
  if (typeof (promRegistry as Partial<PromRegistryLike> | null)?.registerMetric !== 'function') {
    invalid(TypeError, 'promRegistry', 'a prom-client Registry', promRegistry);
  }
  for (const family of naming.families) {
    if (family.type === 'histogram') {
      if (buckets !== undefined) {
        const Metric = Histogram as new (config: PromMetricConfig) => PromMetricLike;
        histogram = new Metric({ name: family.name, help: family.help, labelNames: [circuitLabel, ...family.labelNames], registers: [promRegistry], buckets: [...buckets] });
      }
      continue;
    }
    // A summary's count without its durations is a counter to prom-client, under the count's name.
    const type = family.type === 'gauge' ? 'gauge' : 'counter';
    const name = family.type === 'summary' ? `${family.name}_count` : family.name;
    // Handed to prom-client as a metric of its own making would be: its values read afresh at each
    // collection and given as they are. A Gauge or Counter would take each value through set() or
    // inc(), hashing its labels every scrape: more than prom-client's own work of serialising it.
    // The samples of each breaker, kept from one scrape to the next and updated in place, as
    // prom-client keeps its own: a scrape then allocates little for the collector to move.
    type Sample = { value: number; labels: Record<string, string> };
    let previous = new Map<string, Map<Extra | undefined, Sample>>();
    (promRegistry as PromRegistryLike).registerMetric({
      name,
      help: family.help,
      type,
      aggregator: 'sum',
      get: () => {
        const values: Sample[] = [];
        const current = new Map<string, Map<Extra | undefined, Sample>>();
        for (const row of rowsNow()) {
          const key = row.key;
          const samples = previous.get(key) ?? new Map<Extra | undefined, Sample>();
          current.set(key, samples);
          family.samples(row, (value, extra) => {
            let sample = samples.get(extra);
            if (sample === undefined) {
              sample = { value, labels: extra === undefined ? { [circuitLabel]: key } : { [circuitLabel]: key, ...extra.labels } };
              samples.set(extra, sample);
            }
            sample.value = value;
            values.push(sample);
          });
        }
        // Breakers gone since the last scrape take their samples with them.
        previous = current;
        return { name, help: family.help, type, aggregator: 'sum', values };
      },
      reset() {},
    });
  }
  return { close: () => observations.close() };
}
