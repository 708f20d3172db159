/**
 * The instruments of one client. Created only when a meter or tracer provider
 * is really there (see `load.ts`); otherwise the client has no `Telemetry` at
 * all and nothing below runs.
 *
 * ## Metrics (OpenTelemetry names; durations in seconds)
 * | name | kind | unit | what |
 * |------|------|------|------|
 * | `conclave.lock.wait.duration` | histogram | s | from `acquire()`/`campaign()` to the outcome; attributes `conclave.lock.kind`, `conclave.lock.name`, `conclave.outcome` (`acquired`, `timeout`, `aborted`, `error`) |
 * | `conclave.lock.hold.duration` | histogram | s | from acquisition to release or loss; `conclave.lock.kind`, `conclave.lock.name`, `conclave.lock.lost` |
 * | `conclave.lease.keepalive.duration` | histogram | s | round trip of one lease keep-alive on the shared stream |
 * | `conclave.watch.delivery.duration` | histogram | s | time to hand one server batch of events to every subscriber (the fan-out) |
 * | `conclave.watch.revision_lag` | histogram | {revision} | at delivery, the highest revision the client knows minus the batch's revision: 0 when watches keep up |
 * | `conclave.connection.reconnects` | counter | {reconnect} | `disconnected` → `reconnected` transitions |
 * | `conclave.connection.downtime` | histogram | s | the outage each reconnect ended |
 * | `conclave.watch.server_watchers`, `conclave.watch.subscribers`, `conclave.lease.count` | observable gauges | | `client.stats()` |
 *
 * ## Spans
 * `conclave.lock.acquire` (mutex, read/write lock, semaphore) and
 * `conclave.election.campaign`, with the lock kind and name; on success the
 * fencing token (`conclave.lock.fencing_token`, a decimal string); on failure
 * status ERROR and the exception.
 * @module
 * @internal
 */
import type { CoreStats } from '../types.js';
import type { CounterLike, HistogramLike, MeterLike, ObservableGaugeLike, SpanLike, TelemetryAttributes, TracerLike } from './types.js';

/** The instrumentation scope name. */
export const SCOPE = 'conclave';
/** The instrumentation scope version (kept in step with package.json). */
export const SCOPE_VERSION = '0.1.0';

/** OpenTelemetry's `SpanStatusCode.ERROR` and `SpanKind.INTERNAL`, without importing the API. */
const STATUS_ERROR = 2;
const KIND_INTERNAL = 0;

type GaugeCallback = Parameters<ObservableGaugeLike['addCallback']>[0];

/** What the core reports from the wire (see `../core/observed-transport.ts`). */
export interface TransportProbes {
  keepAliveRoundTrip(ms: number): void;
  watchBatchDelivered(deliveryMs: number, revisionLag: bigint): void;
}

export class Telemetry implements TransportProbes {
  private readonly lockWait?: HistogramLike;
  private readonly lockHold?: HistogramLike;
  private readonly keepAlive?: HistogramLike;
  private readonly delivery?: HistogramLike;
  private readonly revisionLag?: HistogramLike;
  private readonly reconnects?: CounterLike;
  private readonly downtime?: HistogramLike;
  private readonly gauges: { gauge: ObservableGaugeLike; callback: GaugeCallback }[] = [];
  private readonly meter?: MeterLike;

  constructor(
    meter: MeterLike | undefined,
    private readonly tracer: TracerLike | undefined,
  ) {
    if (!meter) return;
    const seconds = (description: string) => ({ description, unit: 's' });
    this.lockWait = meter.createHistogram('conclave.lock.wait.duration', seconds('Time waited for a lock, semaphore permit or leadership'));
    this.lockHold = meter.createHistogram('conclave.lock.hold.duration', seconds('Time a lock, permit or leadership was held'));
    this.keepAlive = meter.createHistogram('conclave.lease.keepalive.duration', seconds('Round trip of a lease keep-alive'));
    this.delivery = meter.createHistogram('conclave.watch.delivery.duration', seconds('Time to deliver one watch batch to every subscriber'));
    this.revisionLag = meter.createHistogram('conclave.watch.revision_lag', {
      description: 'Highest revision known to the client minus the revision of the batch delivered',
      unit: '{revision}',
    });
    this.reconnects = meter.createCounter('conclave.connection.reconnects', { description: 'Reconnections after an outage', unit: '{reconnect}' });
    this.downtime = meter.createHistogram('conclave.connection.downtime', seconds('Duration of each outage that ended in a reconnect'));
    this.meter = meter;
  }

  /** Reports `stats()` as observable gauges until {@link close}. */
  observeStats(stats: () => CoreStats): void {
    const meter = this.meter;
    if (!meter) return;
    const add = (name: string, description: string, unit: string, read: (s: CoreStats) => number) => {
      const gauge = meter.createObservableGauge(name, { description, unit });
      const callback: GaugeCallback = (result) => result.observe(read(stats()));
      gauge.addCallback(callback);
      this.gauges.push({ gauge, callback });
    };
    add('conclave.watch.server_watchers', 'Watchers open on etcd for this client', '{watcher}', (s) => s.serverWatchers);
    add('conclave.watch.subscribers', 'Watch subscriptions served by those watchers', '{subscription}', (s) => s.watchSubscribers);
    add('conclave.lease.count', 'Leases kept alive by this client', '{lease}', (s) => s.leases);
  }

  keepAliveRoundTrip(ms: number): void {
    this.keepAlive?.record(ms / 1000);
  }

  watchBatchDelivered(deliveryMs: number, revisionLag: bigint): void {
    this.delivery?.record(deliveryMs / 1000);
    this.revisionLag?.record(Number(revisionLag));
  }

  reconnected(downtimeMs: number): void {
    this.reconnects?.add(1);
    this.downtime?.record(downtimeMs / 1000);
  }

  lockWaited(ms: number, attributes: TelemetryAttributes, outcome: string): void {
    this.lockWait?.record(ms / 1000, { ...attributes, 'conclave.outcome': outcome });
  }

  lockHeld(ms: number, attributes: TelemetryAttributes, lost: boolean): void {
    this.lockHold?.record(ms / 1000, { ...attributes, 'conclave.lock.lost': lost });
  }

  /** Starts a span, or returns undefined when tracing is off. */
  startSpan(name: string, attributes: TelemetryAttributes): SpanLike | undefined {
    return this.tracer?.startSpan(name, { kind: KIND_INTERNAL, attributes });
  }

  /** Ends `span` with an error status. */
  static fail(span: SpanLike | undefined, error: unknown): void {
    if (!span) return;
    const e = error instanceof Error ? error : new Error(String(error));
    span.recordException(e);
    span.setStatus({ code: STATUS_ERROR, message: e.message });
    span.end();
  }

  close(): void {
    for (const { gauge, callback } of this.gauges) gauge.removeCallback(callback);
    this.gauges.length = 0;
  }
}
