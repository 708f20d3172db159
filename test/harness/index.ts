/**
 * # Conclave's real-etcd test harness
 *
 * Every integration test and benchmark runs against real etcd 3.4 processes on 127.0.0.1.
 * Install etcd with `bash scripts/install-etcd.sh` (or point `ETCD_BIN` at an etcd binary).
 *
 * ## Which cluster to use
 * - **The shared cluster** ({@link sharedCluster}): one 3-member cluster started by
 *   `test/harness/global-setup.ts` for the whole `vitest` run. Use it for tests that only talk
 *   to etcd, and always under a key prefix of your own ({@link uniquePrefix}): files run in
 *   parallel against it. Never kill, pause, restart, compact, or enable auth on it.
 * - **Your own cluster** ({@link startCluster} / {@link startSingle}): required for any test
 *   that kills, pauses or restarts members, changes server flags, enables auth, compacts, or
 *   otherwise changes cluster-wide state. Stop it in `afterAll` (or `await using`).
 *
 * ```ts
 * import { afterAll, beforeAll, expect, it } from 'vitest';
 * import { sharedCluster, startCluster, uniquePrefix, type EtcdCluster } from '../harness/index.js';
 *
 * const { endpoints } = sharedCluster();      // ['127.0.0.1:41234', ...]
 * const prefix = uniquePrefix('my feature');  // 't/my_feature/9c1d2e3f/'
 *
 * let cluster: EtcdCluster;
 * beforeAll(async () => { cluster = await startCluster(); });
 * afterAll(() => cluster.stop());
 *
 * it('survives losing the leader', async () => {
 *   const old = await cluster.leader();
 *   await old.kill();
 *   const next = await cluster.waitForLeader({ notMember: old });
 *   expect(next).not.toBe(old);
 *   await old.restart();
 *   await cluster.waitHealthy();
 * });
 * ```
 *
 * Outside vitest (benchmarks, demo scripts run with plain Node) import `./standalone.js`: the
 * same API without {@link sharedCluster}, and without importing `vitest`.
 *
 * ## Guarantees
 * - Only loopback addresses; ports are found by binding port 0 (all of a cluster's at once).
 * - Waits are on real answers (`/health`, a put + get through each member, `etcdctl get`
 *   through a proxy), polled at a short interval under a deadline (20 s by default).
 * - Every process the harness starts is tracked by PID and SIGKILLed on `stop()`, after each
 *   test file (`cleanup-setup.ts`), and on process exit / SIGINT / SIGTERM. Nothing else is
 *   ever signalled.
 * - Each cluster lives in a fresh `os.tmpdir()` dir (data + logs), removed by `stop()`
 *   (kept when `CONCLAVE_KEEP_ETCD_DIRS=1`). Start failures throw with the log tail.
 * - Members run with `--heartbeat-interval=100 --election-timeout=1000`: a new leader is
 *   elected about 1–2 s after the old one dies.
 *
 * @module
 */

export * from './standalone.js';
export { sharedCluster } from './shared.js';
export type { SharedClusterInfo } from './provided-context.js';
