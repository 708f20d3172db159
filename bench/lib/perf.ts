/**
 * Shared pieces of the issue-14 cells (`scenarios/perf/`): what a cell returns, etcd RPC counts
 * from `/metrics` deltas, Jain's fairness index, handover times and child-process bookkeeping.
 *
 * @example
 * ```ts
 * const before = await snapshot(ctx.metricsUrl);
 * // ... 1,000 acquire+release cycles ...
 * const rpcs = rpcCounts(before, await snapshot(ctx.metricsUrl));
 * rpcs.unary / 1000; // RPCs per cycle
 * ```
 * @module
 */
import type { MetricsSnapshot } from './metrics.js';
import { summarize, type Summary } from './stats.js';

/** What every issue-14 cell prints: named numbers (NaN = not measured) and short notes. */
export interface PerfResult {
  /** e.g. `{ cyclesPerSecond: 781, rpcsPerCycle: 3 }`. */
  metrics: Record<string, number>;
  /** e.g. `{ rpcs: 'Txn 2.0, Range 1.0' }`. */
  notes: Record<string, string>;
}

/** The unary etcd methods counted per operation (grpc_server_handled_total by grpc_method). */
export const UNARY_METHODS = ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact', 'LeaseGrant', 'LeaseRevoke', 'LeaseTimeToLive'] as const;

/** etcd's current revision gauge: every write (put, delete, write txn) moves it by one. */
export const CURRENT_REVISION = 'etcd_debugging_mvcc_current_revision';

/** RPCs etcd handled between two snapshots. */
export interface RpcCounts {
  /** Handled calls per unary method. */
  byMethod: Record<string, number>;
  /** Sum of the unary calls. */
  unary: number;
  /** Requests received on Watch streams (creates and cancels). */
  watchRequests: number;
  /** Write revisions (successful writes). */
  writes: number;
}

/** Deltas of the unary RPCs, watch requests and revision between `before` and `after`. */
export function rpcCounts(before: MetricsSnapshot, after: MetricsSnapshot): RpcCounts {
  const byMethod: Record<string, number> = {};
  let unary = 0;
  for (const m of UNARY_METHODS) {
    const d = after.handled(m) - before.handled(m);
    byMethod[m] = d;
    unary += d;
  }
  return { byMethod, unary, watchRequests: after.received('Watch') - before.received('Watch'), writes: after.delta(before, CURRENT_REVISION) };
}

/** `Txn 2.00, Range 1.00` per operation, methods with no calls left out. */
export function perOp(counts: RpcCounts, ops: number): string {
  const parts = Object.entries(counts.byMethod)
    .filter(([, n]) => n > 0)
    .map(([m, n]) => `${m} ${(n / ops).toFixed(2)}`);
  if (counts.watchRequests > 0) parts.push(`watch req ${(counts.watchRequests / ops).toFixed(2)}`);
  return parts.join(', ') || 'none';
}

/** The per-method metrics of a cell: `rpc.Txn`, `rpc.Range`, … per op, plus `rpcsPerOp`, `writesPerOp`, `watchReqPerOp`. */
export function rpcMetrics(counts: RpcCounts, ops: number): Record<string, number> {
  const out: Record<string, number> = { rpcsPerOp: counts.unary / ops, writesPerOp: counts.writes / ops, watchReqPerOp: counts.watchRequests / ops };
  for (const [m, n] of Object.entries(counts.byMethod)) out[`rpc.${m}`] = n / ops;
  return out;
}

/** Jain's fairness index of per-contender counts: 1 = perfectly even, 1/n = one took everything. */
export function jain(counts: readonly number[]): number {
  const sum = counts.reduce((a, b) => a + b, 0);
  const squares = counts.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? Number.NaN : (sum * sum) / (counts.length * squares);
}

/** One acquisition: when it was asked for, granted, and when its holder began to release. */
export interface Grant {
  contender: number;
  requestedAt: number;
  grantedAt: number;
  releasedAt: number;
  /** The lock's fencing token (create revision), when the library gives one. */
  token?: bigint;
}

/**
 * Handover times: for every grant that waited through a release (the latest release start
 * before the grant is after the request), grant time minus that release start.
 */
export function handovers(grants: readonly Grant[]): Summary & { over100: number } {
  const releases = grants.map((g) => g.releasedAt).sort((a, b) => a - b);
  const samples: number[] = [];
  for (const g of grants) {
    let lo = 0;
    let hi = releases.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (releases[mid]! <= g.grantedAt) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = best >= 0 ? releases[best]! : Number.NaN;
    if (r > g.requestedAt) samples.push(g.grantedAt - r);
  }
  return { ...summarize(samples), over100: samples.filter((s) => s >= 100).length };
}

/** Grants (in grant order) whose fencing token is lower than the previous grant's: 0 = FIFO by create revision. */
export function fifoViolations(grants: readonly Grant[]): number {
  const ordered = [...grants].sort((a, b) => a.grantedAt - b.grantedAt);
  let violations = 0;
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!.token;
    const b = ordered[i]!.token;
    if (a === undefined || b === undefined) return Number.NaN;
    if (b < a) violations++;
  }
  return violations;
}

/**
 * Tells the runner about a process this cell started (a child, etcd, a proxy), so it can kill
 * it by PID if the cell is killed or leaves it behind.
 */
export function reportChildPid(pid: number | undefined): void {
  if (pid !== undefined) process.stdout.write(`child-pid ${pid}\n`);
}
