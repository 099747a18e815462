/**
 * `circuitry/prometheus`: the breakers of a registry as Prometheus metrics, in the text format
 * with no dependency ({@link toPrometheus}) or through your own prom-client
 * ({@link registerPromClientMetrics}).
 *
 * @packageDocumentation
 */
export { escapeLabelValue, registerPromClientMetrics, toPrometheus } from './adapters/prometheus.js';
export type { PrometheusOptions, PromClientLike, PromMetricConfig, PromMetricLike } from './adapters/prometheus.js';
