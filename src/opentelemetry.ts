/**
 * `circuitry/opentelemetry`: every breaker of a registry through your own OpenTelemetry `Meter`
 * ({@link registerOpenTelemetryMetrics}); no OpenTelemetry package is imported.
 *
 * @packageDocumentation
 */
export type { Attributes, BatchObservableResultLike, InstrumentOptions, MeterLike, ObservableLike } from './adapters/opentelemetry/meter-like.js';
export { registerOpenTelemetryMetrics } from './adapters/opentelemetry/metrics.js';
export type { OpenTelemetryOptions, OpenTelemetryRegistration } from './adapters/opentelemetry/metrics.js';
