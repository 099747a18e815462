/** Attributes of one measurement. */
export type Attributes = Record<string, string>;

/** What the adapter passes when it makes an instrument. */
export interface InstrumentOptions {
  /** What the instrument measures. */
  description?: string;
  /** Its unit, in UCUM (`s`, `1`, `{call}`). */
  unit?: string;
  /** Hints to the SDK. */
  advice?: {
    /** A histogram's bucket bounds. */
    explicitBucketBoundaries?: number[];
  };
}

/** An observable instrument, as `@opentelemetry/api` makes it; only passed back to the meter. */
export type ObservableLike = object;

/** What a batch callback is given to report values. */
export interface BatchObservableResultLike {
  /** Reports `value` for `observable` with these attributes. */
  observe(observable: ObservableLike, value: number, attributes?: Attributes): void;
}

/**
 * The slice of an OpenTelemetry `Meter` (from `@opentelemetry/api`'s
 * `metrics.getMeter(...)`) the adapter uses; circuitry imports no OpenTelemetry package.
 */
export interface MeterLike {
  /** Makes the call-duration histogram. */
  createHistogram(
    name: string,
    options?: InstrumentOptions,
  ): {
    /** Records one duration. */
    record(value: number, attributes?: Attributes): void;
  };
  /** Makes the transitions counter. */
  createCounter(
    name: string,
    options?: InstrumentOptions,
  ): {
    /** Adds to the count. */
    add(value: number, attributes?: Attributes): void;
  };
  /** Makes a gauge read at each collection. */
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableLike;
  /** Makes a cumulative counter read at each collection. */
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  /** Makes an up-down counter read at each collection. */
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike;
  /** Reads every observable in one callback per collection. */
  addBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void;
  /** Undoes {@link MeterLike.addBatchObservableCallback}. */
  removeBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void;
}
