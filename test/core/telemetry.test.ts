/**
 * OpenTelemetry support against real etcd, with the SDK's in-memory reader and
 * span exporter: lock wait/hold, keep-alive round trips, watch delivery and
 * revision lag, reconnects, the stats gauges, and spans around acquire and
 * campaign — all there with a provider; nothing at all without one.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, expect, it } from 'vitest';
import type { ConclaveClient } from '../../src/client/client.js';
import { TimeoutError, connect, type Conclave, type ConnectOptions } from '../../src/index.js';
import { resolveTelemetry } from '../../src/telemetry/load.js';
import { pollUntil, sharedCluster, startRelay, uniquePrefix } from '../harness/index.js';

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const clients: Conclave[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close())));

async function open(options: ConnectOptions = {}): Promise<Conclave> {
  const c = await connect({ endpoints: sharedCluster().endpoints, namespace: uniquePrefix('telemetry'), ...options });
  clients.push(c);
  return c;
}

function instrumented() {
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect();
    const out = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
    return out;
  };
  return { meterProvider, tracerProvider, spans, collect };
}

/** The histogram points of `name`, as { attributes, count }. */
function points(all: Map<string, MetricData>, name: string): Array<{ attributes: Record<string, unknown>; count: number; sum: number }> {
  const metric = all.get(name);
  if (!metric) return [];
  return metric.dataPoints.map((p) => {
    const v = p.value as number | { count: number; sum?: number };
    return typeof v === 'number' ? { attributes: p.attributes, count: v, sum: v } : { attributes: p.attributes, count: v.count, sum: v.sum ?? 0 };
  });
}

it('records lock wait and hold, spans with the fencing token, keep-alive round trips, watch delivery and lag, and stats', async () => {
  const t = instrumented();
  const namespace = uniquePrefix('telemetry');
  const c = await open({ namespace, telemetry: { meterProvider: t.meterProvider, tracerProvider: t.tracerProvider }, sessionTtlSeconds: 3 });

  // A lock: acquired, held, released.
  const lock = await c.mutex('jobs').acquire();
  await lock.release();
  // A wait that times out while another holder has it.
  const other = await open({ namespace });
  const held = await other.mutex('jobs').acquire();
  await expect(c.mutex('jobs').acquire({ timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
  await held.release();
  // A campaign.
  const term = await c.election('leader').campaign('me');
  await term.resign();
  // A watch batch.
  const seen = firstValueFrom(c.watch('w').pipe(timeout(20_000)));
  await c.put('w', 'x');
  await seen;

  // The shared session (TTL 3 s) is refreshed every second: wait for a keep-alive answer.
  const all = await pollUntil(
    async () => {
      const m = await t.collect();
      return points(m, 'conclave.lease.keepalive.duration').some((p) => p.count > 0) ? m : undefined;
    },
    { timeoutMs: 20_000, description: 'a keep-alive round trip' },
  );

  const wait = points(all, 'conclave.lock.wait.duration');
  expect(wait).toContainEqual(expect.objectContaining({ attributes: { 'conclave.lock.kind': 'mutex', 'conclave.lock.name': 'jobs', 'conclave.outcome': 'acquired' }, count: 1 }));
  expect(wait).toContainEqual(expect.objectContaining({ attributes: { 'conclave.lock.kind': 'mutex', 'conclave.lock.name': 'jobs', 'conclave.outcome': 'timeout' }, count: 1 }));
  const timedOut = wait.find((p) => p.attributes['conclave.outcome'] === 'timeout')!;
  expect(timedOut.sum).toBeGreaterThanOrEqual(0.15);
  expect(wait).toContainEqual(expect.objectContaining({ attributes: { 'conclave.lock.kind': 'election', 'conclave.lock.name': 'leader', 'conclave.outcome': 'acquired' }, count: 1 }));

  const hold = points(all, 'conclave.lock.hold.duration');
  expect(hold).toContainEqual(expect.objectContaining({ attributes: { 'conclave.lock.kind': 'mutex', 'conclave.lock.name': 'jobs', 'conclave.lock.lost': false }, count: 1 }));
  expect(hold).toContainEqual(expect.objectContaining({ attributes: { 'conclave.lock.kind': 'election', 'conclave.lock.name': 'leader', 'conclave.lock.lost': false }, count: 1 }));

  expect(points(all, 'conclave.watch.delivery.duration').reduce((n, p) => n + p.count, 0)).toBeGreaterThan(0);
  const lag = points(all, 'conclave.watch.revision_lag');
  expect(lag.reduce((n, p) => n + p.count, 0)).toBeGreaterThan(0);
  expect(lag.every((p) => p.sum >= 0)).toBe(true);

  expect(all.get('conclave.lease.count')?.dataPoints[0]?.value).toBe(1);
  expect(all.has('conclave.watch.server_watchers')).toBe(true);

  const spans = t.spans.getFinishedSpans();
  const acquired = spans.filter((s) => s.name === 'conclave.lock.acquire' && s.status.code !== 2);
  expect(acquired).toHaveLength(1);
  expect(acquired[0]!.attributes).toEqual({
    'conclave.lock.kind': 'mutex',
    'conclave.lock.name': 'jobs',
    'conclave.lock.fencing_token': lock.fencingToken.toString(),
  });
  const failed = spans.filter((s) => s.name === 'conclave.lock.acquire' && s.status.code === 2);
  expect(failed).toHaveLength(1);
  expect(failed[0]!.events.map((e) => e.name)).toContain('exception');
  const campaign = spans.find((s) => s.name === 'conclave.election.campaign');
  expect(campaign?.attributes['conclave.lock.fencing_token']).toBe(term.revision.toString());
});

it('counts a reconnect and its downtime', async () => {
  const t = instrumented();
  const relay = await startRelay(sharedCluster().endpoints[0]!);
  try {
    const c = await open({ endpoints: [relay.address], telemetry: { meterProvider: t.meterProvider } });
    const sub = c.watch('k').subscribe();
    await c.put('k', 'v');
    relay.cut('drop');
    await firstValueFrom(c.status$.pipe(filter((s) => s.state === 'disconnected'), timeout(20_000)));
    relay.restore();
    await firstValueFrom(c.status$.pipe(filter((s) => s.state === 'reconnected'), timeout(20_000)));
    sub.unsubscribe();
    const all = await t.collect();
    expect(all.get('conclave.connection.reconnects')?.dataPoints[0]?.value).toBe(1);
    expect(points(all, 'conclave.connection.downtime')[0]?.count).toBe(1);
  } finally {
    await relay.close();
  }
});

it('costs nothing without a provider: no global one registered → the client has no telemetry and plain primitives', async () => {
  expect(metrics.getMeterProvider().getMeter('x')).toBe(metrics.getMeterProvider().getMeter('y')); // the API's no-op
  const c = (await open()) as ConclaveClient;
  expect(c.core.telemetry).toBeUndefined();
  expect(c.mutex('m').constructor.name).toBe('MutexImpl');
  const off = (await open({ telemetry: false })) as ConclaveClient;
  expect(off.core.telemetry).toBeUndefined();
});

it('without @opentelemetry/api installed, telemetry resolves to nothing (and never throws)', async () => {
  const missing = () => Promise.reject(Object.assign(new Error("Cannot find package '@opentelemetry/api'"), { code: 'ERR_MODULE_NOT_FOUND' }));
  expect(await resolveTelemetry(undefined, missing)).toBeUndefined();
  expect(await resolveTelemetry(true, missing)).toBeUndefined();
  expect(await resolveTelemetry({}, missing)).toBeUndefined();
  // Explicit providers need no API at all.
  expect(await resolveTelemetry({ meterProvider: new MeterProvider() }, missing)).toBeDefined();
});

it('uses the global providers registered before connect()', async () => {
  const reader = new TestReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  try {
    const c = (await open()) as ConclaveClient;
    expect(c.core.telemetry).toBeDefined();
    await (await c.mutex('g').acquire()).release();
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toContain('conclave.lock.wait.duration');
  } finally {
    metrics.disable();
  }
});
