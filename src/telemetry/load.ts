/**
 * Finds where a client's telemetry goes, at connect time, at no cost when
 * there is nowhere: `@opentelemetry/api` is an optional peer dependency,
 * loaded with a dynamic `import()` (once per process, cached) and never
 * imported statically. Telemetry is on only when a provider is really there:
 * one passed in `connect({ telemetry })`, or a global one registered with the
 * API before `connect()`. With the API missing, or installed with no provider
 * registered (its no-op meter and tracer), the client gets no `Telemetry` and
 * runs exactly the code it runs without OpenTelemetry.
 * @module
 * @internal
 */
import type { MeterLike, MeterProviderLike, TelemetryOptions, TracerLike, TracerProviderLike } from './types.js';
import { SCOPE, SCOPE_VERSION, Telemetry } from './telemetry.js';

/** The part of `@opentelemetry/api` used to find the global providers. */
interface OtelApiLike {
  metrics: { getMeterProvider(): MeterProviderLike };
  trace: { getTracerProvider(): TracerProviderLike };
  createNoopMeter(): unknown;
  ProxyTracerProvider: abstract new (...args: never[]) => unknown;
}

let cached: Promise<OtelApiLike | undefined> | undefined;

/**
 * The optional peer's name, kept out of a literal `import()` so that bundlers (esbuild, webpack,
 * vite) leave it alone: a browser bundle of `conclave/http` must build without it installed.
 */
const OTEL_API: string = '@opentelemetry/api';

/** `@opentelemetry/api`, or undefined when it is not installed. `importer` is for tests. */
export function loadOpenTelemetryApi(importer?: () => Promise<unknown>): Promise<OtelApiLike | undefined> {
  if (importer) return importApi(importer);
  cached ??= importApi(() => import(/* webpackIgnore: true */ /* @vite-ignore */ OTEL_API));
  return cached;
}

async function importApi(importer: () => Promise<unknown>): Promise<OtelApiLike | undefined> {
  try {
    const mod = (await importer()) as Partial<OtelApiLike> & { default?: Partial<OtelApiLike> };
    const api = mod.metrics ? mod : mod.default;
    if (!api?.metrics || !api.trace || typeof api.createNoopMeter !== 'function' || !api.ProxyTracerProvider) return undefined;
    return api as OtelApiLike;
  } catch {
    return undefined;
  }
}

/**
 * The client's telemetry, or undefined when it would record nowhere.
 * `option === false` turns it off without even looking for the API.
 */
export async function resolveTelemetry(
  option: boolean | TelemetryOptions | undefined,
  importer?: () => Promise<unknown>,
): Promise<Telemetry | undefined> {
  if (option === false) return undefined;
  const given = typeof option === 'object' && option !== null ? option : {};
  let meter: MeterLike | undefined = given.meterProvider?.getMeter(SCOPE, SCOPE_VERSION);
  let tracer: TracerLike | undefined = given.tracerProvider?.getTracer(SCOPE, SCOPE_VERSION);
  if (!meter || !tracer) {
    const api = await loadOpenTelemetryApi(importer);
    if (api) {
      meter ??= globalMeter(api);
      tracer ??= globalTracer(api);
    }
  }
  if (!meter && !tracer) return undefined;
  return new Telemetry(meter, tracer);
}

/** The global meter, unless it is the API's no-op one (no SDK registered). */
function globalMeter(api: OtelApiLike): MeterLike | undefined {
  const meter = api.metrics.getMeterProvider().getMeter(SCOPE, SCOPE_VERSION);
  return meter === api.createNoopMeter() ? undefined : meter;
}

/** The global tracer, unless the API's proxy provider has no delegate (no SDK registered). */
function globalTracer(api: OtelApiLike): TracerLike | undefined {
  const provider = api.trace.getTracerProvider();
  if (provider instanceof api.ProxyTracerProvider) {
    const proxy = provider as unknown as { getDelegateTracer(name: string, version?: string): TracerLike | undefined };
    return proxy.getDelegateTracer(SCOPE, SCOPE_VERSION);
  }
  return provider.getTracer(SCOPE, SCOPE_VERSION);
}
