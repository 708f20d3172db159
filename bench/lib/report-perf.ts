/**
 * The issue-14 part of the report: one table per family, every row with Conclave, etcd3 and
 * the raw limit of the same run side by side, its target and ✓/✗ (`lib/targets.ts`), and the
 * data of each family's chart.
 *
 * @example
 * ```ts
 * const md = renderPerf(results, families);
 * ```
 * @module
 */
import type { PerfFamily } from '../scenarios/perf/cells.js';
import type { PerfResult } from './perf.js';
import type { Outcome } from './report.js';
import { FAMILY_CHARTS, TARGET_ROWS, type Lookup, type TargetRow, type Value } from './targets.js';

/** Outcomes by cell id. */
export type PerfResults = Map<string, Outcome<PerfResult>>;

/** A {@link Lookup} over `results`. */
export function lookup(results: PerfResults): Lookup {
  return {
    n(ref) {
      const [cell, metric] = ref.split(':');
      const o = results.get(cell!);
      const x = o?.ok ? o.value.metrics[metric!] : undefined;
      return typeof x === 'number' ? x : Number.NaN; // JSON turns NaN into null
    },
    note(cell, name) {
      const o = results.get(cell);
      return o?.ok ? (o.value.notes[name] ?? '') : '';
    },
  };
}

/** The number of a column. */
export function valueOf(v: Lookup, value: Value | undefined): number {
  if (value === undefined) return Number.NaN;
  return typeof value === 'string' ? v.n(value) : value(v);
}

function show(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return '–';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (digits !== undefined) return x.toFixed(digits);
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Why a column is empty: the failed cell's reason, when the value names a cell. */
function cellOf(value: Value | undefined, results: PerfResults): string {
  if (typeof value !== 'string') return '–';
  const o = results.get(value.split(':')[0]!);
  return o === undefined ? 'not run' : o.ok ? '–' : o.reason.replace(/\|/g, '\\|').slice(0, 120);
}

function column(row: TargetRow, which: 'conclave' | 'etcd3' | 'raw', v: Lookup, results: PerfResults): string {
  const value = row[which];
  if (value === undefined) return '';
  const x = valueOf(v, value);
  return Number.isFinite(x) ? show(x, row.digits) : cellOf(value, results);
}

/** ✓, ✗, ? (not measured) or '' (no target). */
export function markOf(row: TargetRow, v: Lookup): string {
  if (!row.target) return '';
  const met = row.target.met(v);
  return met === undefined ? '?' : met ? '✓' : '✗';
}

/** The tables of the families that ran, and a count of ✓ / ✗ / ?. */
export function renderPerf(results: PerfResults, families: readonly PerfFamily[], chartLinks: ReadonlyMap<PerfFamily, string>): string {
  const v = lookup(results);
  const out: string[] = [];
  const tally = { '✓': 0, '✗': 0, '?': 0 };
  for (const family of families) {
    const rows = TARGET_ROWS.filter((r) => r.family === family);
    if (rows.length === 0) continue;
    out.push(`### ${family}: ${FAMILY_CHARTS[family].title}`, '');
    const link = chartLinks.get(family);
    if (link) out.push(`![${family}](${link})`, '');
    out.push('| measure | Conclave | etcd3 | raw limit, same run | target | ✓/✗ |', '| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) {
      const mark = markOf(row, v);
      if (mark === '✓' || mark === '✗' || mark === '?') tally[mark]++;
      const target = row.target ? row.target.text(v) : '';
      out.push(`| ${row.what} | ${column(row, 'conclave', v, results)} | ${column(row, 'etcd3', v, results)} | ${column(row, 'raw', v, results)} | ${target} | ${mark} |`);
      if (row.rpcNote) {
        const note = v.note(row.rpcNote, 'rpcs');
        if (note) out.push(`| ↳ ${row.rpcNote}: per op | ${note} | | | | |`);
      }
    }
    out.push('');
  }
  return [`Targets: ${tally['✓']} ✓, ${tally['✗']} ✗, ${tally['?']} not measured.`, '', ...out].join('\n');
}
