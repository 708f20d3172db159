/**
 * Watch resume after an etcd restart. The cell starts its OWN single-member etcd (harness
 * `startSingle()`, loopback, killed by the runner by PID if the cell dies), so restarting it
 * does not disturb the run's etcd.
 *
 * {@link WATCHED} keys, one watch each, in one client (Conclave `watch(key).subscribe()`, etcd3
 * `watch().key(key).create()`). {@link RESTARTS} times: restart etcd (SIGTERM, start on the same
 * data dir, wait until it serves); from then a writer puts the keys round-robin through etcd's
 * HTTP gateway (no client library) until every watch delivered a post-restart event. So etcd
 * has moved on by the time the client re-creates its watchers, as in real traffic.
 *
 * - `reconnect`: from etcd serving again until the first watch delivered a post-restart event
 *   (the client's reconnect, backoff included);
 * - `resume` (the distribution): per watch, from when its stream was back (that first delivery)
 *   or its key's first post-restart put started, whichever is later, until it delivered. A
 *   watcher etcd put in its unsynced group waits for the 100 ms sync loop: ≥ 100 ms counted.
 * @module
 */
import { startSingle, kvPut } from '../../../test/harness/standalone.js';
import { reportChildPid, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now } from '../../lib/timing.js';
import type { Side, WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3 } from './clients.js';

export const WATCHED = 20;
export const RESTARTS = 5;
const ROUND_MS = 15_000;

/** Opens one watch per key; `onValue(i, value)` on every put. Returns the close function. */
async function watchAll(side: Side, endpoint: string, keys: string[], onValue: (i: number, value: string) => void): Promise<() => Promise<void>> {
  if (side === 'conclave') {
    const c = await conclave(endpoint);
    const subs = keys.map((k, i) => c.watch(k).subscribe((e) => e.type === 'put' && onValue(i, new TextDecoder().decode(e.value))));
    return async () => {
      for (const s of subs) s.unsubscribe();
      await c.close();
    };
  }
  const c = await etcd3(endpoint);
  const watchers = await Promise.all(keys.map((k) => c.watch().key(k).create()));
  watchers.forEach((w, i) => w.on('put', (kv) => onValue(i, kv.value.toString())));
  return async () => c.close();
}

/** The resume cell for one library. */
export async function resume(ctx: WorkerContext, side: Side): Promise<PerfResult> {
  const cluster = await startSingle({ name: `resume-${side}` });
  const member = cluster.members[0]!;
  reportChildPid(member.pid);
  const keys = Array.from({ length: WATCHED }, (_, i) => `${ctx.runId}/resume/${side}/${i}`);
  let marker = 'warm';
  let seenAt: number[] = [];
  const onValue = (i: number, value: string): void => {
    if (value.startsWith(`${marker}-`) && seenAt[i] === undefined) seenAt[i] = now();
  };
  const close = await watchAll(side, member.clientAddress, keys, onValue);
  const resumes: number[] = [];
  const reconnects: number[] = [];
  try {
    const round = async (): Promise<{ ready: number; putAt: number[] }> => {
      seenAt = [];
      const ready = now();
      const putAt: number[] = [];
      let seq = 0;
      while (keys.some((_, i) => seenAt[i] === undefined) && now() - ready < ROUND_MS) {
        const i = seq % keys.length;
        putAt[i] ??= now();
        await kvPut(member.clientUrl, keys[i]!, `${marker}-${seq++}`).catch(() => undefined);
      }
      return { ready, putAt };
    };
    await round(); // every watch is live before the first restart
    for (let r = 0; r < RESTARTS; r++) {
      marker = `r${r}`;
      await member.restart();
      reportChildPid(member.pid);
      const { ready, putAt } = await round();
      const seen = keys.map((_, i) => seenAt[i]).filter((t): t is number => t !== undefined);
      if (seen.length === 0) continue;
      const back = Math.min(...seen);
      reconnects.push(back - ready);
      keys.forEach((_, i) => {
        if (seenAt[i] !== undefined) resumes.push(seenAt[i]! - Math.max(back, putAt[i] ?? back));
      });
    }
  } finally {
    await close().catch(() => undefined);
    await cluster.stop();
  }
  const s = summarize(resumes);
  const rc = summarize(reconnects);
  return {
    metrics: {
      resumeP50: s.p50,
      resumeP99: s.p99,
      resumeMax: s.max,
      resumesOver100ms: resumes.filter((x) => x >= 100).length,
      resumeSamples: s.n,
      missing: RESTARTS * WATCHED - s.n,
      reconnectP50: rc.p50,
      reconnectMax: rc.max,
    },
    notes: {},
  };
}
