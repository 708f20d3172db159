/**
 * Renders benchmark results as markdown tables, with the targets of issue 3 checked.
 *
 * @example
 * ```ts
 * const md = renderReport({ watch, leases, locks, header: 'etcd 3.4.23, Node 20, 2 cores' });
 * ```
 * @module
 */
import type { LeaseResult } from '../scenarios/leases.js';
import type { LockResult } from '../scenarios/locks.js';
import type { FanoutResult } from '../scenarios/watch-fanout.js';
import { renderJobsGroups, type JobsGroupsInput } from './report-jobs-groups.js';
import type { Side } from './worker-context.js';

/** A measurement, or why there is none (skipped, failed, timed out). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Outcomes keyed by `${side}:${n}`. */
export type Results<T> = Map<string, Outcome<T>>;

export function keyOf(side: Side, n: number): string {
  return `${side}:${n}`;
}

export interface ReportInput {
  header: string;
  watchNs: readonly number[];
  leaseNs: readonly number[];
  lockN: number;
  watch: Results<FanoutResult>;
  leases: Results<LeaseResult>;
  locks: Results<LockResult>;
  /** Jobs and consumer groups (issue 15). */
  jobsGroups?: JobsGroupsInput;
  /** The issue-14 section (`lib/report-perf.ts`), rendered. */
  perf?: string;
}

const SIDES: readonly Side[] = ['conclave', 'etcd3'];

function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return x < 10 ? x.toFixed(1) : x.toFixed(0);
}

function mb(base: number, total: number, growthMb = total - base): string {
  if (!Number.isFinite(base) || !Number.isFinite(total)) return '–';
  const growth = Math.round(growthMb);
  return `${total.toFixed(0)} (${growth >= 0 ? '+' : ''}${growth})`;
}

function count(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US');
}

function rate(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return x < 10 ? x.toFixed(2) : x.toFixed(0);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

function gap<T>(outcome: Outcome<T> | undefined, width: number): string[] {
  const reason = (outcome === undefined ? 'not run' : outcome.ok ? '' : outcome.reason).replace(/\|/g, '\\|');
  return [reason, ...Array.from({ length: width - 1 }, () => '')];
}

function watchTable(input: ReportInput): string {
  const head = [
    'N',
    'client',
    'runs',
    'server watchers added',
    'watch streams added',
    'create-all ms',
    'put→all saw p50 / p99 ms (puts)',
    'first→last saw p50 / p99 ms',
    'first watch in process ms',
    'RSS MB (+ over connected)',
  ];
  const rows: string[][] = [];
  for (const n of input.watchNs) {
    for (const side of SIDES) {
      const o = input.watch.get(keyOf(side, n));
      if (!o?.ok) {
        rows.push([count(n), side, ...gap(o, head.length - 2)]);
        continue;
      }
      const r = o.value;
      rows.push([
        count(n),
        side,
        `${r.runs ?? 1}${r.failedRuns?.length ? ` (+${r.failedRuns.length} failed: ${r.failedRuns[0]!.replace(/\|/g, '\\|')})` : ''}`,
        count(r.watchersAdded),
        count(r.streamsAdded),
        ms(r.createAllMs),
        `${ms(r.latency.p50)} / ${ms(r.latency.p99)} (${r.latency.n})`,
        `${ms(r.spread.p50)} / ${ms(r.spread.p99)}`,
        ms(r.coldWatchMs),
        mb(r.rssBaseMb, r.rssMb, r.rssGrowthMb),
      ]);
    }
  }
  return table(head, rows);
}

function leaseTable(input: ReportInput): string {
  const head = ['N', 'client', 'keep-alive streams open', 'LeaseGrant RPCs', 'keep-alive msgs/s', 'grant-all ms', 'server watchers added', 'RSS MB (+ over connected)'];
  const rows: string[][] = [];
  for (const n of input.leaseNs) {
    for (const side of SIDES) {
      const o = input.leases.get(keyOf(side, n));
      if (!o?.ok) {
        rows.push([count(n), side, ...gap(o, head.length - 2)]);
        continue;
      }
      const r = o.value;
      rows.push([
        count(n),
        side,
        count(r.streamsOpen),
        count(r.grants),
        rate(r.messagesPerSecond),
        ms(r.grantAllMs),
        count(r.watchersAdded),
        mb(r.rssBaseMb, r.rssMb),
      ]);
    }
  }
  return table(head, rows);
}

function lockTable(input: ReportInput): string {
  const head = ['N', 'client', 'what is held', 'leases granted', 'keep-alive streams open', 'keep-alive msgs/s', 'msgs per TTL/3', 'acquire-all ms', 'RSS MB (+ over connected)'];
  const rows: string[][] = [];
  for (const side of SIDES) {
    const o = input.locks.get(keyOf(side, input.lockN));
    if (!o?.ok) {
      rows.push([count(input.lockN), side, ...gap(o, head.length - 2)]);
      continue;
    }
    const r = o.value;
    rows.push([
      count(r.n),
      side,
      r.mode,
      count(r.grants),
      count(r.streamsOpen),
      rate(r.messagesPerSecond),
      rate(r.messagesPerPeriod),
      ms(r.acquireAllMs),
      mb(r.rssBaseMb, r.rssMb),
    ]);
  }
  return table(head, rows);
}

function value<T>(results: Results<T>, side: Side, n: number): T | undefined {
  const o = results.get(keyOf(side, n));
  return o?.ok ? o.value : undefined;
}

function mark(ok: boolean | undefined): string {
  return ok === undefined ? '?' : ok ? '✓' : '✗';
}

function targetTable(input: ReportInput): string {
  const rows: string[][] = [];
  const conclaveWatch = input.watchNs.map((n) => value(input.watch, 'conclave', n));
  const all = conclaveWatch.every((r) => r !== undefined);
  rows.push([
    'Conclave: 1 server watcher at any N',
    input.watchNs.map((n, i) => `${count(n)}: ${conclaveWatch[i]?.watchersAdded ?? '–'}`).join(', '),
    mark(all ? conclaveWatch.every((r) => r!.watchersAdded === 1) : undefined),
  ]);
  const one = value(input.watch, 'conclave', 1);
  const thousand = value(input.watch, 'conclave', 1000);
  const etcd3Thousand = value(input.watch, 'etcd3', 1000);
  rows.push([
    'Conclave, 1,000 subscribers: put→all p99 ≤ 2 × its own 1-subscriber p99',
    one && thousand ? `${ms(thousand.latency.p99)} ms vs 2 × ${ms(one.latency.p99)} = ${ms(2 * one.latency.p99)} ms` : '–',
    mark(one && thousand ? thousand.latency.p99 <= 2 * one.latency.p99 : undefined),
  ]);
  rows.push([
    'Conclave, 1,000 subscribers: put→all p99 ≥ 10× better than etcd3',
    thousand && etcd3Thousand
      ? `etcd3 ${ms(etcd3Thousand.latency.p99)} ms / Conclave ${ms(thousand.latency.p99)} ms = ${(etcd3Thousand.latency.p99 / thousand.latency.p99).toFixed(1)}×`
      : '–',
    mark(thousand && etcd3Thousand ? etcd3Thousand.latency.p99 >= 10 * thousand.latency.p99 : undefined),
  ]);
  rows.push([
    'Conclave: create-all of 1,000 subscribers < 50 ms',
    thousand ? `${ms(thousand.createAllMs)} ms (etcd3: ${etcd3Thousand ? `${ms(etcd3Thousand.createAllMs)} ms` : '–'})` : '–',
    mark(thousand ? thousand.createAllMs < 50 : undefined),
  ]);
  const locks = value(input.locks, 'conclave', input.lockN);
  rows.push([
    `Conclave, ${count(input.lockN)} locks: 1 lease, 1 keep-alive stream`,
    locks ? `${locks.grants} lease(s), ${locks.streamsOpen} stream(s) (${locks.mode})` : '–',
    mark(locks ? locks.grants === 1 && locks.streamsOpen === 1 : undefined),
  ]);
  rows.push([
    `Conclave, ${count(input.lockN)} locks: 1 keep-alive message per TTL/3`,
    locks ? `${rate(locks.messagesPerPeriod)} per TTL/3` : '–',
    mark(locks ? locks.messagesPerPeriod >= 0.5 && locks.messagesPerPeriod <= 1.5 : undefined),
  ]);
  return table(['target', 'measured', '✓/✗'], rows);
}

/** The whole report: header, targets, then one table per scenario. */
export function renderReport(input: ReportInput): string {
  const issue3 = input.watch.size + input.leases.size + input.locks.size > 0;
  return [
    '# Conclave vs etcd3 1.1.2 — benchmark',
    '',
    input.header,
    '',
    ...(input.perf ? ['## Every path against the raw etcd limit (issue 14)', '', input.perf, ''] : []),
    ...(issue3 ? issue3Sections(input) : []),
    ...(input.jobsGroups ? [renderJobsGroups(input.jobsGroups)] : []),
  ].join('\n');
}

function issue3Sections(input: ReportInput): string[] {
  return [
    '## Targets (issue 3)',
    '',
    targetTable(input),
    '',
    '## Watch fan-out: N subscribers on one key, one client',
    '',
    watchTable(input),
    '',
    '## Leases: N leases (TTL 3 s) kept alive by one client, 6 s window',
    '',
    leaseTable(input),
    '',
    `## Locks: ${count(input.lockN)} locks held by one client (TTL 3 s), 6 s window`,
    '',
    lockTable(input),
    '',
  ];
}
