/**
 * Public types of Conclave's optional OpenTelemetry support. They are the
 * small structural part of `@opentelemetry/api` Conclave uses, so that the
 * package's types never require `@opentelemetry/api` to be installed; a real
 * `MeterProvider` / `TracerProvider` fits them.
 * @module
 */

/**
 * Attributes of a measurement or span.
 *
 * @example
 * ```ts
 * // The attributes Conclave puts on `conclave.lock.wait.duration`:
 * const attributes: TelemetryAttributes = { 'conclave.lock.kind': 'mutex', 'conclave.lock.name': 'jobs', 'conclave.outcome': 'acquired' };
 * ```
 */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * The part of an OpenTelemetry `Histogram` Conclave uses.
 *
 * @example
 * ```ts
 * const wait: HistogramLike = meterProvider.getMeter('conclave').createHistogram('conclave.lock.wait.duration', { unit: 's' });
 * wait.record(0.012, { 'conclave.lock.kind': 'mutex' });
 * ```
 */
export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * The part of an OpenTelemetry `Counter` Conclave uses.
 *
 * @example
 * ```ts
 * const reconnects: CounterLike = meter.createCounter('conclave.connection.reconnects');
 * reconnects.add(1);
 * ```
 */
export interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * The part of an OpenTelemetry `ObservableGauge` Conclave uses.
 *
 * @example
 * ```ts
 * const gauge: ObservableGaugeLike = meter.createObservableGauge('conclave.lease.count');
 * gauge.addCallback((result) => result.observe(client.stats().leases));
 * ```
 */
export interface ObservableGaugeLike {
  addCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void): void;
}

/**
 * The part of an OpenTelemetry `Meter` Conclave uses.
 *
 * @example
 * ```ts
 * const meter: MeterLike = new MeterProvider().getMeter('conclave', '0.1.0');
 * ```
 */
export interface MeterLike {
  createHistogram(name: string, options?: { description?: string; unit?: string }): HistogramLike;
  createCounter(name: string, options?: { description?: string; unit?: string }): CounterLike;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): ObservableGaugeLike;
}

/**
 * The part of an OpenTelemetry `MeterProvider` Conclave uses.
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * const meterProvider: MeterProviderLike = new MeterProvider({ readers: [reader] });
 * const client = await connect({ telemetry: { meterProvider } });
 * ```
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * The part of an OpenTelemetry `Span` Conclave uses.
 *
 * @example
 * ```ts
 * const span: SpanLike = tracer.startSpan('conclave.lock.acquire', { attributes: { 'conclave.lock.name': 'jobs' } });
 * span.setAttribute('conclave.lock.fencing_token', '42');
 * span.end();
 * ```
 */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): void;
  end(): void;
}

/**
 * The part of an OpenTelemetry `Tracer` Conclave uses.
 *
 * @example
 * ```ts
 * const tracer: TracerLike = new BasicTracerProvider().getTracer('conclave', '0.1.0');
 * ```
 */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }): SpanLike;
}

/**
 * The part of an OpenTelemetry `TracerProvider` Conclave uses.
 *
 * @example
 * ```ts
 * import { BasicTracerProvider, SimpleSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
 * const tracerProvider: TracerProviderLike = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
 * const client = await connect({ telemetry: { tracerProvider } });
 * ```
 */
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
