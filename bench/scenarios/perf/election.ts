/**
 * Elections: how fast the next candidate takes over.
 *
 * - `election.resign.*`: two clients in one process; the leader resigns while the other
 *   candidate waits (its campaign started {@link WAITER_SETTLE_MS} before); handover = from the
 *   `resign()` call until the waiter's campaign resolved. {@link ROUNDS} rounds, roles swapping.
 *   Conclave `election(name).campaign()` / `resign()`; etcd3 `election(name).campaign()` /
 *   `wait()` / `resign()`.
 * - `election.kill.conclave`: the leader is a separate process (`candidate-main.ts`, session TTL
 *   {@link KILL_TTL_S} s); it is SIGKILLed by PID while this process's candidate waits; takeover
 *   = from the kill until the waiter is elected (bounded below by the TTL: the dead leader's
 *   lease must expire). {@link KILLS} kills, a fresh leader process each.
 * @module
 */
import { spawnChild } from '../../lib/children.js';
import type { PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now, sleep, within } from '../../lib/timing.js';
import type { Side, WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3 } from './clients.js';

export const ROUNDS = 20;
export const WAITER_SETTLE_MS = 150;
export const KILLS = 3;
export const KILL_TTL_S = 2;

interface Candidate {
  /** Starts campaigning; `elected` resolves when elected, with the resign function. */
  campaign(value: string): { elected: Promise<() => Promise<void>> };
}

async function candidates(side: Side, ctx: WorkerContext, name: string): Promise<{ a: Candidate; b: Candidate; close(): Promise<void> }> {
  if (side === 'conclave') {
    const [ca, cb] = [await conclave(ctx.endpoint), await conclave(ctx.endpoint)];
    const wrap = (c: typeof ca): Candidate => ({
      campaign(value) {
        return { elected: c.election(name).campaign(value).then((l) => () => l.resign()) };
      },
    });
    return { a: wrap(ca), b: wrap(cb), close: async () => void (await Promise.allSettled([ca.close(), cb.close()])) };
  }
  const [ea, eb] = [await etcd3(ctx.endpoint), await etcd3(ctx.endpoint)];
  const wrap = (c: typeof ea): Candidate => ({
    campaign(value) {
      const campaign = c.election(name, 10).campaign(value);
      return { elected: campaign.wait().then(() => () => campaign.resign()) };
    },
  });
  return {
    a: wrap(ea),
    b: wrap(eb),
    async close() {
      ea.close();
      eb.close();
    },
  };
}

/** Resign handover, {@link ROUNDS} rounds. */
export async function resignHandover(ctx: WorkerContext, side: Side): Promise<PerfResult> {
  const { a, b, close } = await candidates(side, ctx, `${ctx.runId}/election/${side}`);
  try {
    let resign = await within(a.campaign('a').elected, 30_000, 'first election');
    const samples: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const next = (r % 2 === 0 ? b : a).campaign(`round ${r}`);
      await sleep(WAITER_SETTLE_MS);
      const t0 = now();
      await resign();
      resign = await within(next.elected, 30_000, 'the handover');
      samples.push(now() - t0);
    }
    await resign();
    const s = summarize(samples);
    return { metrics: { handoverP50: s.p50, handoverP99: s.p99, handoverMax: s.max, handoversOver100ms: samples.filter((x) => x >= 100).length, rounds: s.n }, notes: {} };
  } finally {
    await close();
  }
}

/** Leader-kill takeover, {@link KILLS} kills of a leader process. */
export async function leaderKill(ctx: WorkerContext): Promise<PerfResult> {
  const name = `${ctx.runId}/election/kill`;
  const client = await conclave(ctx.endpoint, { sessionTtlSeconds: KILL_TTL_S });
  const samples: number[] = [];
  try {
    for (let k = 0; k < KILLS; k++) {
      const child = spawnChild('bench/scenarios/perf/candidate-main.ts', [ctx.endpoint, name, String(KILL_TTL_S)]);
      try {
        await child.line((l) => l === 'elected', 60_000);
        const pending = client.election(name).campaign('survivor');
        await sleep(WAITER_SETTLE_MS);
        const t0 = now();
        child.kill();
        const leadership = await within(pending, 30_000, 'the takeover');
        samples.push(now() - t0);
        await leadership.resign();
      } finally {
        child.kill();
      }
    }
  } finally {
    await client.close();
  }
  const s = summarize(samples);
  return { metrics: { takeoverP50: s.p50, takeoverMax: s.max, ttlMs: KILL_TTL_S * 1000, kills: s.n }, notes: {} };
}
