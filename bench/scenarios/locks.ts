/**
 * Locks: 1,000 different locks held at once by one client, TTL 3 s.
 *
 * - Conclave: 1,000 `client.mutex(name_i).acquire()` on a client with `sessionTtlSeconds: 3`
 *   (all on the client's one shared session). While `mutex()` is not implemented
 *   (`NOT_IMPLEMENTED`), 1,000 users of the shared session (`core.session()`) instead, labelled so.
 * - etcd3: 1,000 `client.lock(name_i).ttl(3).acquire()` (each: its own lease and keep-alive stream).
 *
 * Measured as in the lease scenario (leases granted, keep-alive streams, messages/s over 6 s),
 * plus keep-alive messages per TTL/3 (the target: 1 for Conclave).
 * @module
 */
import { keepAliveWindow, type KeepAliveWindow } from '../lib/keepalive-window.js';
import { snapshot } from '../lib/metrics.js';
import { rssMb } from '../lib/rss.js';
import { now, within } from '../lib/timing.js';
import type { Side, WorkerContext } from '../lib/worker-context.js';
import { LEASE_TTL_SECONDS, WINDOW_MS } from './leases.js';

export interface LockResult extends KeepAliveWindow {
  scenario: 'locks';
  side: Side;
  n: number;
  /** What was held: `mutex` or the fallback. */
  mode: string;
  acquireAllMs: number;
  /** Keep-alive messages per TTL/3 (= per keep-alive period). */
  messagesPerPeriod: number;
  rssBaseMb: number;
  rssMb: number;
}

interface LockClient {
  warmUp(): Promise<void>;
  /** Holds `names.length` locks; returns what was held. */
  acquireAll(names: string[]): Promise<string>;
  close(): Promise<void>;
}

function notImplemented(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'NOT_IMPLEMENTED';
}

async function conclaveClient(endpoint: string): Promise<LockClient> {
  const { connect } = await import('../../src/index.js');
  const { ConclaveClient } = await import('../../src/client/client.js');
  const client = await connect({ endpoints: [endpoint], sessionTtlSeconds: LEASE_TTL_SECONDS });
  return {
    async warmUp() {
      await client.get('warmup');
    },
    async acquireAll(names) {
      try {
        const first = await client.mutex(names[0]!).acquire();
        await Promise.all(names.slice(1).map((name) => client.mutex(name).acquire()));
        void first;
        return 'mutex';
      } catch (error) {
        if (!notImplemented(error)) throw error;
      }
      if (!(client instanceof ConclaveClient)) throw new Error('connect() did not return a ConclaveClient');
      await Promise.all(names.map(() => client.core.session()));
      return 'shared-session users (mutex NOT_IMPLEMENTED)';
    },
    close: () => client.close(),
  };
}

async function etcd3Client(endpoint: string): Promise<LockClient> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  return {
    async warmUp() {
      await client.get('warmup').string();
    },
    async acquireAll(names) {
      await Promise.all(names.map((name) => client.lock(name).ttl(LEASE_TTL_SECONDS).acquire()));
      return 'lock';
    },
    async close() {
      client.close(); // the lock leases expire after their TTL
    },
  };
}

/** Runs the lock scenario for one library and `n` locks. */
export async function runLocks(ctx: WorkerContext, side: Side, n: number): Promise<LockResult> {
  const client = side === 'conclave' ? await conclaveClient(ctx.endpoint) : await etcd3Client(ctx.endpoint);
  await client.warmUp();
  const names = Array.from({ length: n }, (_, i) => `${ctx.runId}/locks/${side}/${i}`);
  const rssBaseMb = rssMb();
  const before = await snapshot(ctx.metricsUrl);
  const t0 = now();
  const mode = await within(client.acquireAll(names), 60_000, `acquiring ${n} locks`);
  const acquireAllMs = now() - t0;
  const window = await keepAliveWindow(ctx.metricsUrl, before, WINDOW_MS);
  const result: LockResult = {
    scenario: 'locks',
    side,
    n,
    mode,
    acquireAllMs,
    ...window,
    messagesPerPeriod: window.messagesPerSecond * (LEASE_TTL_SECONDS / 3),
    rssBaseMb,
    rssMb: rssMb(),
  };
  await within(client.close(), 30_000, 'close').catch(() => undefined);
  return result;
}
