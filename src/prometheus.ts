/**
 * `circuitry/prometheus`: the breakers of a registry as Prometheus metrics, in the text format
 * with no dependency ({@link toPrometheus}, a pull; {@link prometheusExporter}, which also
 * listens for transitions, the store's health and call durations) or through your own
 * prom-client ({@link registerPromClientMetrics}).
 *
 * @packageDocumentation
 */
export { escapeLabelValue } from './adapters/prometheus/escape.js';
export { prometheusExporter } from './adapters/prometheus/exporter.js';
export type { PrometheusExporter } from './adapters/prometheus/exporter.js';
export type { PrometheusExporterOptions, PrometheusOptions } from './adapters/prometheus/options.js';
export { registerPromClientMetrics } from './adapters/prometheus/prom-client.js';
export type { PromClientLike, PromClientRegistration, PromMetricConfig, PromMetricLike, PromRegistryLike } from './adapters/prometheus/prom-client.js';
export { toPrometheus } from './adapters/prometheus/to-prometheus.js';
