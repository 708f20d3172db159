/**
 * Public types of Conclave's optional OpenTelemetry support. They are the
 * small structural part of `@opentelemetry/api` Conclave uses, so that the
 * package's types never require `@opentelemetry/api` to be installed; a real
 * `MeterProvider` / `TracerProvider` fits them.
 * @module
 */

/** Attributes of a measurement or span. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** The part of an OpenTelemetry `Histogram` Conclave uses. */
export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/** The part of an OpenTelemetry `Counter` Conclave uses. */
export interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/** The part of an OpenTelemetry `ObservableGauge` Conclave uses. */
export interface ObservableGaugeLike {
  addCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
}

/** The part of an OpenTelemetry `Meter` Conclave uses. */
export interface MeterLike {
  createHistogram(name: string, options?: { description?: string; unit?: string }): HistogramLike;
  createCounter(name: string, options?: { description?: string; unit?: string }): CounterLike;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): ObservableGaugeLike;
}

/** The part of an OpenTelemetry `MeterProvider` Conclave uses. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** The part of an OpenTelemetry `Span` Conclave uses. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): void;
  end(): void;
}

/** The part of an OpenTelemetry `Tracer` Conclave uses. */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }): SpanLike;
}

/** The part of an OpenTelemetry `TracerProvider` Conclave uses. */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): TracerLike;
}

/**
 * Where a client sends its metrics and spans (option `telemetry` of
 * `connect`). Either provider may be left out: that signal is then off,
 * unless `@opentelemetry/api` is installed and a global provider is registered.
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
 *
 * const client = await connect({
 *   telemetry: { meterProvider: new MeterProvider(), tracerProvider: new BasicTracerProvider() },
 * });
 * ```
 */
export interface TelemetryOptions {
  /** Receives Conclave's metrics. Default: the global one of `@opentelemetry/api`, when installed and registered. */
  meterProvider?: MeterProviderLike;
  /** Receives Conclave's spans. Default: the global one of `@opentelemetry/api`, when installed and registered. */
  tracerProvider?: TracerProviderLike;
}
