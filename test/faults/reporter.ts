/**
 * A vitest reporter (added by `npm run test:faults`, next to the default one) that prints the
 * fault suite's summary table — scenario, operations, invariant, violations — from the rows the
 * tests recorded (see `report.ts`), and writes them as JSON to
 * `os.tmpdir()/conclave-fault-report.json`.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { FaultRow } from './report.js';

interface Line extends FaultRow {
  test: string;
  result: string;
  seconds: number;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Renders rows as a plain-text table, the notes of each row numbered below it. */
export function renderTable(lines: readonly Line[]): string {
  const header = ['#', 'scenario', 'operations', 'invariant', 'violations', 'result', 'time'];
  const limits = [3, 64, 10, 56, 10, 7, 8];
  const cells = lines.map((l, i) =>
    [String(i + 1), l.scenario, String(l.operations), l.invariant, String(l.violations), l.result, `${l.seconds.toFixed(1)} s`].map((c, k) => clip(c, limits[k]!)),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: string[]): string => `| ${c.map((x, i) => pad(x, widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = lines.map((l, i) => `[${i + 1}] ${l.scenario}${l.notes ? `\n    ${l.notes}` : ''}`);
  return [row(header), rule, ...cells.map(row), '', ...notes].join('\n');
}

export default class FaultReporter implements Reporter {
  #started = Date.now();

  onInit(): void {
    this.#started = Date.now();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: Line[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const rows = test.meta().faultRows ?? [];
        // A file's summary test only tallies its other tests: show the file's time for it.
        const ms = test.name === 'summary' ? module.diagnostic().duration : (test.diagnostic()?.duration ?? 0);
        const seconds = ms / 1000;
        for (const row of rows) lines.push({ ...row, test: test.fullName, result: test.result().state, seconds });
      }
    }
    const wall = (Date.now() - this.#started) / 1000;
    const file = join(tmpdir(), 'conclave-fault-report.json');
    try {
      writeFileSync(file, `${JSON.stringify({ finishedAt: new Date().toISOString(), wallSeconds: wall, rows: lines }, null, 2)}\n`);
    } catch {
      // The table below is what matters.
    }
    if (lines.length === 0) return;
    const total = lines.reduce((n, l) => n + l.violations, 0);
    process.stdout.write(
      `\nFault and safety suite — ${lines.length} scenario(s), ${total} violation(s), ${wall.toFixed(0)} s wall time (JSON: ${file})\n${renderTable(lines)}\n\n`,
    );
  }
}
