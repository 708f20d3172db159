/**
 * etcd's `/metrics`, read the way the harness's `member.metric()` reads it (same fetch, parser
 * and label matching), but as one snapshot so several counters come from the same instant.
 *
 * @example
 * ```ts
 * const before = await snapshot(member.metricsUrl);
 * // ... open watchers ...
 * const after = await snapshot(member.metricsUrl);
 * after.delta(before, 'etcd_debugging_mvcc_watcher_total'); // watchers added
 * after.openStreams('LeaseKeepAlive');                       // keep-alive streams open now
 * ```
 * @module
 */
import { fetchMetrics, parseMetrics, sumMetric, type MetricSample } from '../../test/harness/standalone.js';

/** etcd's gauge of server-side watchers (one per watch_id on any stream). */
export const WATCHERS = 'etcd_debugging_mvcc_watcher_total';
/** etcd's gauge of open gRPC Watch streams. */
export const WATCH_STREAMS = 'etcd_debugging_mvcc_watch_stream_total';

/** One reading of every metric. */
export class MetricsSnapshot {
  constructor(
    private readonly samples: readonly MetricSample[],
    /** Monotonic time (ms) the snapshot was taken. */
    readonly at: number,
  ) {}

  /** Sum of the samples named `name` whose labels include `labels` (what `member.metric()` returns). */
  get(name: string, labels: Record<string, string> = {}): number {
    return sumMetric(this.samples, name, labels);
  }

  /** `this.get(...) - before.get(...)`. */
  delta(before: MetricsSnapshot, name: string, labels: Record<string, string> = {}): number {
    return this.get(name, labels) - before.get(name, labels);
  }

  /** gRPC streams (or calls) of `method` open now: started minus handled. */
  openStreams(method: string): number {
    return this.get('grpc_server_started_total', { grpc_method: method }) - this.get('grpc_server_handled_total', { grpc_method: method });
  }

  /** Messages etcd received on `method` streams so far. */
  received(method: string): number {
    return this.get('grpc_server_msg_received_total', { grpc_method: method });
  }

  /** Calls of `method` etcd has finished (unary RPC count). */
  handled(method: string): number {
    return this.get('grpc_server_handled_total', { grpc_method: method });
  }
}

/** Fetches and parses `<metricsUrl>/metrics`. */
export async function snapshot(metricsUrl: string): Promise<MetricsSnapshot> {
  const text = await fetchMetrics(metricsUrl);
  return new MetricsSnapshot(parseMetrics(text), performance.now());
}
