/** Attributes of one measurement. */
export type Attributes = Record<string, string>;

/** What the adapter passes when it makes an instrument. */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An observable instrument, as `@opentelemetry/api` makes it; only passed back to the meter. */
export type ObservableLike = object;

/** What a batch callback is given to report values. */
export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: Attributes): void;
}

/**
 * The slice of an OpenTelemetry `Meter` (from `@opentelemetry/api`'s
 * `metrics.getMeter(...)`) the adapter uses; circuitry imports no OpenTelemetry package.
 */
export interface MeterLike {
  createHistogram(name: string, options?: InstrumentOptions): { record(value: number, attributes?: Attributes): void };
  createCounter(name: string, options?: InstrumentOptions): { add(value: number, attributes?: Attributes): void };
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike;
  addBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void;
}
