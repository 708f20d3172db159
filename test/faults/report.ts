/**
 * Rows of the fault suite's summary table. A test records its rows on its own task
 * (`task.meta`, which vitest hands to reporters); `test/faults/reporter.ts` prints the table at
 * the end of `npm run test:faults` and writes it as JSON to `os.tmpdir()`.
 *
 * @example
 * ```ts
 * it('mutex under faults', async ({ task }) => {
 *   // ... run, check ...
 *   recordRow(task, { scenario: 'mutex', operations: 1042, invariant: 'no two holders', violations: 0 });
 * });
 * ```
 */
import type { TaskMeta } from 'vitest';

/** One line of the summary table. */
export interface FaultRow {
  /** What ran, and which faults were injected. */
  scenario: string;
  /** How many operations the invariant was checked over (acquisitions, messages, items, calls...). */
  operations: number;
  /** The invariant checked. */
  invariant: string;
  /** How many violations the checker found. */
  violations: number;
  /** Measurements (failover times, refused writes, ...). */
  notes?: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Summary rows recorded by a fault test. */
    faultRows?: FaultRow[];
  }
}

/** Records `row` on the test's task (and echoes it to the test's log). */
export function recordRow(task: { meta: TaskMeta }, row: FaultRow): void {
  (task.meta.faultRows ??= []).push(row);
  console.info(`[faults] ${row.scenario} | ${row.operations} ops | ${row.invariant} | ${row.violations} violation(s)${row.notes ? ` | ${row.notes}` : ''}`);
}
