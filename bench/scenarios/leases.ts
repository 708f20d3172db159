/**
 * Leases: N leases of TTL 3 s kept alive by one client.
 *
 * - Conclave: N `client.session({ ttlSeconds: 3 })` (each: LeaseGrant + a marker key under the
 *   lease, watched through the client's shared marker watch; all kept alive over the client's
 *   ONE keep-alive stream).
 * - etcd3: N `client.lease(3)` (each: LeaseGrant + its own keep-alive stream and timer).
 *
 * Measured: `grantAllMs` (all N granted and usable: every `session()` / `grant()` resolved, in
 * parallel), then after 1 s of settling, over a 6 s window: keep-alive streams open, keep-alive
 * messages etcd received per second (expected: N per TTL/3 = N/s for both, since etcd's
 * LeaseKeepAliveRequest carries one lease id), LeaseGrant RPCs, server watchers added, RSS.
 * @module
 */
import { keepAliveWindow, type KeepAliveWindow } from '../lib/keepalive-window.js';
import { snapshot } from '../lib/metrics.js';
import { rssMb } from '../lib/rss.js';
import { now, within } from '../lib/timing.js';
import type { Side, WorkerContext } from '../lib/worker-context.js';

export const LEASE_TTL_SECONDS = 3;
export const WINDOW_MS = 6_000;

export interface LeaseResult extends KeepAliveWindow {
  scenario: 'leases';
  side: Side;
  n: number;
  grantAllMs: number;
  rssBaseMb: number;
  rssMb: number;
}

interface LeaseClient {
  warmUp(): Promise<void>;
  grantAll(n: number, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

async function conclaveClient(endpoint: string): Promise<LeaseClient> {
  const { connect } = await import('../../src/index.js');
  const client = await connect({ endpoints: [endpoint] });
  return {
    async warmUp() {
      await client.get('warmup');
    },
    async grantAll(n, ttlSeconds) {
      await Promise.all(Array.from({ length: n }, () => client.session({ ttlSeconds })));
    },
    close: () => client.close(),
  };
}

async function etcd3Client(endpoint: string): Promise<LeaseClient> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  return {
    async warmUp() {
      await client.get('warmup').string();
    },
    async grantAll(n, ttlSeconds) {
      await Promise.all(Array.from({ length: n }, () => client.lease(ttlSeconds).grant()));
    },
    async close() {
      client.close(); // leases expire after their TTL
    },
  };
}

/** Runs the lease scenario for one library and `n` leases. */
export async function runLeases(ctx: WorkerContext, side: Side, n: number): Promise<LeaseResult> {
  const client = side === 'conclave' ? await conclaveClient(ctx.endpoint) : await etcd3Client(ctx.endpoint);
  await client.warmUp();
  const rssBaseMb = rssMb();
  const before = await snapshot(ctx.metricsUrl);
  const t0 = now();
  await within(client.grantAll(n, LEASE_TTL_SECONDS), 60_000, `granting ${n} leases`);
  const grantAllMs = now() - t0;
  const window = await keepAliveWindow(ctx.metricsUrl, before, WINDOW_MS);
  const result: LeaseResult = { scenario: 'leases', side, n, grantAllMs, ...window, rssBaseMb, rssMb: rssMb() };
  await within(client.close(), 30_000, 'close').catch(() => undefined);
  return result;
}
