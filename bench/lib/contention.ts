/**
 * The contention loop shared by the mutex, rw-lock and semaphore cells: every contender
 * acquires, holds for a tick, releases and asks again until the deadline; grants are recorded
 * on one clock (all contenders live in this process), so the cell can check mutual exclusion,
 * FIFO order, handover times and fairness exactly.
 *
 * @example
 * ```ts
 * const r = await contend(contenders, { durationMs: 5_000, maxHolders: 1 });
 * r.metrics.cyclesPerSecond; r.metrics.jain; r.metrics.fifoViolations;
 * ```
 * @module
 */
import { fifoViolations, handovers, jain, type Grant } from './perf.js';
import { summarize } from './stats.js';
import { now, sleep, within } from './timing.js';

/** One held lock, as the contention loop sees it. */
export interface Held {
  /** Fencing token (create revision), when the library has one. */
  token?: bigint;
  release(): Promise<void>;
}

/** One contender: acquires (waiting as long as needed). `kind` groups contenders (e.g. reader, writer). */
export interface Contender {
  kind: string;
  acquire(): Promise<Held>;
}

export interface ContendOptions {
  durationMs: number;
  /** At most this many holders at once (mutex 1, semaphore permits); writers always hold alone. */
  maxHolders: number;
  /** How long a holder holds, in ms (0 = one macrotask). */
  holdMs?: number;
}

/** Runs the loop; returns the cell's metrics (waits and handovers in ms). */
export async function contend(contenders: readonly Contender[], options: ContendOptions): Promise<Record<string, number>> {
  const grants: Grant[] = [];
  const perContender = contenders.map(() => 0);
  let holders = 0;
  let writers = 0;
  let exclusionViolations = 0;
  const deadline = now() + options.durationMs;
  const t0 = now();
  await within(
    Promise.all(
      contenders.map(async (c, i) => {
        while (now() < deadline) {
          const requestedAt = now();
          const held = await c.acquire();
          const grantedAt = now();
          holders++;
          if (c.kind === 'writer') writers++;
          if (holders > options.maxHolders || (writers > 0 && holders > 1)) exclusionViolations++;
          await sleep(options.holdMs ?? 0);
          holders--;
          if (c.kind === 'writer') writers--;
          const releasedAt = now();
          grants.push({ contender: i, requestedAt, grantedAt, releasedAt, ...(held.token === undefined ? {} : { token: held.token }) });
          perContender[i]!++;
          await held.release();
        }
      }),
    ),
    options.durationMs + 60_000,
    'the contention loop',
  );
  const elapsed = now() - t0;
  const waits = summarize(grants.map((g) => g.grantedAt - g.requestedAt));
  const h = handovers(grants);
  return {
    cycles: grants.length,
    cyclesPerSecond: grants.length / (elapsed / 1000),
    waitP50: waits.p50,
    waitP99: waits.p99,
    waitMax: waits.max,
    handoverP50: h.p50,
    handoverP99: h.p99,
    handoverMax: h.max,
    handoverSamples: h.n,
    handoversOver100ms: h.over100,
    jain: jain(perContender),
    fifoViolations: fifoViolations(grants),
    exclusionViolations,
  };
}
