import { observeRegistry } from '../watch/observations.js';
import type { PrometheusExporterOptions } from './options.js';
import { checkPrometheusOptions } from './options.js';
import { renderRegistry } from './render.js';

/** What {@link prometheusExporter} returns. */
export interface PrometheusExporter {
  /** Every metric in the text exposition format (0.0.4), read now. */
  metrics(): string;
  /** Stops listening to the registry's breakers; `metrics()` then reports what it had counted. */
  close(): void;
}

const EXPORTER_KEYS = ['registry', 'prefix', 'names', 'durations'];

/**
 * Everything {@link toPrometheus} reports, and what only events tell, which a pull cannot see:
 * `circuitry_transitions_total{circuit,from,to}` (an opening shorter than the scrape interval
 * still counts), `circuitry_store_up{circuit}` and `circuitry_call_duration_seconds{circuit,outcome}`
 * (a histogram in seconds, on each breaker's own clock). It listens to the registry's breakers,
 * present and future, through `registry.on`, and never keeps one alive.
 *
 * @example
 * ```ts
 * import { prometheusExporter } from 'circuitry/prometheus';
 * const exporter = prometheusExporter({ durations: { buckets: [0.05, 0.5, 5] } });
 * http.createServer((req, res) => res.end(exporter.metrics())).listen(9464);
 * ```
 */
export function prometheusExporter(options: PrometheusExporterOptions = {}): PrometheusExporter {
  const { registry, naming, buckets } = checkPrometheusOptions(options, 'prometheusExporter', EXPORTER_KEYS, true);
  const observations = observeRegistry(registry, { buckets });
  return {
    metrics: () => renderRegistry(naming, naming.families, registry, observations),
    close: () => observations.close(),
  };
}
