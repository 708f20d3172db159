/**
 * Server-side view of lease keep-alives over a time window, from etcd's `/metrics`.
 *
 * @example
 * ```ts
 * const before = await snapshot(url);
 * // ... grant leases ...
 * const k = await keepAliveWindow(url, before, 6_000);
 * k.streamsOpen; k.messagesPerSecond; k.grants;
 * ```
 * @module
 */
import { snapshot, WATCHERS, type MetricsSnapshot } from './metrics.js';
import { sleep } from './timing.js';

export interface KeepAliveWindow {
  /** LeaseKeepAlive streams open at the end of the window, minus those open in `before`. */
  streamsOpen: number;
  /** LeaseKeepAlive messages etcd received per second during the window. */
  messagesPerSecond: number;
  /** Length of the window, in seconds. */
  windowSeconds: number;
  /** LeaseGrant RPCs since `before`. */
  grants: number;
  /** Server watchers added since `before`. */
  watchersAdded: number;
}

/** Waits `settleMs`, then counts keep-alive messages over `windowMs`. */
export async function keepAliveWindow(metricsUrl: string, before: MetricsSnapshot, windowMs: number, settleMs = 1_000): Promise<KeepAliveWindow> {
  await sleep(settleMs);
  const start = await snapshot(metricsUrl);
  await sleep(windowMs);
  const end = await snapshot(metricsUrl);
  const windowSeconds = (end.at - start.at) / 1000;
  return {
    streamsOpen: end.openStreams('LeaseKeepAlive') - before.openStreams('LeaseKeepAlive'),
    messagesPerSecond: (end.received('LeaseKeepAlive') - start.received('LeaseKeepAlive')) / windowSeconds,
    windowSeconds,
    grants: end.handled('LeaseGrant') - before.handled('LeaseGrant'),
    watchersAdded: end.delta(before, WATCHERS),
  };
}
