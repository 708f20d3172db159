/**
 * Self-contained SVG charts written by `npm run bench`: the fan-out line chart (subscribers,
 * log scale, against put→all-saw latency, p50 and p99, Conclave vs etcd3) and a grouped bar
 * chart for any family of measurements (Conclave / etcd3 / raw limit side by side per
 * measure, linear or log scale, with the target drawn as a dashed tick).
 *
 * @example
 * ```ts
 * writeFileSync('bench/fanout.svg', fanoutChart(watchResults, [1, 100, 1000, 10000]));
 * writeFileSync('bench/mutex.svg', barChart({ title: 'Mutex', unit: 'cycles/s', groups: [
 *   { label: 'uncontended', bars: [{ series: 'conclave', value: 780 }, { series: 'raw', value: 1180 }], target: 1062 },
 * ] }));
 * ```
 * @module
 */
import type { FanoutResult } from '../scenarios/watch-fanout.js';
import { keyOf, type Results } from './report.js';

const W = 640;
const H = 400;
const M = { left: 64, right: 150, top: 40, bottom: 52 };
const SERIES = [
  { side: 'conclave', pct: 'p99', color: '#1f6feb', dash: '' },
  { side: 'conclave', pct: 'p50', color: '#1f6feb', dash: '5 4' },
  { side: 'etcd3', pct: 'p99', color: '#d1242f', dash: '' },
  { side: 'etcd3', pct: 'p50', color: '#d1242f', dash: '5 4' },
] as const;

/** Renders the chart from the watch results (missing or failed cells are left out). */
export function fanoutChart(watch: Results<FanoutResult>, ns: readonly number[]): string {
  const points = SERIES.map((s) => ({
    ...s,
    values: ns.flatMap((n) => {
      const o = watch.get(keyOf(s.side, n));
      const v = o?.ok ? o.value.latency[s.pct] : Number.NaN;
      return Number.isFinite(v) && v > 0 ? [{ n, ms: v }] : [];
    }),
  }));
  const all = points.flatMap((p) => p.values.map((v) => v.ms));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const xMin = Math.min(...ns);
  const xMax = Math.max(...ns);
  const x = (n: number): number => M.left + ((Math.log10(n) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1)) * (W - M.left - M.right);
  const y = (ms: number): number => H - M.bottom - ((Math.log10(ms) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - M.top - M.bottom);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">Watch fan-out: put → all N subscribers saw it</text>`,
  ];
  for (let d = yMin; d <= yMax; d *= 10) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${y(d) + 4}" text-anchor="end">${d >= 1 ? d : d.toFixed(1)} ms</text>`);
  }
  for (const n of ns) {
    out.push(`<line x1="${x(n)}" x2="${x(n)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x(n)}" y="${H - M.bottom + 18}" text-anchor="middle">${n.toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">subscribers on one key (one client)</text>`);
  points.forEach((p, i) => {
    if (p.values.length > 0) {
      const path = p.values.map((v, j) => `${j === 0 ? 'M' : 'L'}${x(v.n).toFixed(1)},${y(v.ms).toFixed(1)}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${p.color}" stroke-width="2" stroke-dasharray="${p.dash}"/>`);
      for (const v of p.values) out.push(`<circle cx="${x(v.n).toFixed(1)}" cy="${y(v.ms).toFixed(1)}" r="3" fill="${p.color}"/>`);
    }
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${p.color}" stroke-width="2" stroke-dasharray="${p.dash}"/>`);
    out.push(`<text x="${W - M.right + 46}" y="${ly + 4}">${p.side} ${p.pct}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One measure of a bar chart: a bar per series, and the target if it has a number. */
export interface BarGroup {
  label: string;
  bars: { series: 'conclave' | 'etcd3' | 'raw'; value: number }[];
  target?: number;
}

/** What {@link barChart} draws. */
export interface BarChartSpec {
  title: string;
  unit: string;
  /** Log scale (for latencies spanning decades). */
  log?: boolean;
  groups: BarGroup[];
}

const BAR_COLORS = { conclave: '#1f6feb', etcd3: '#d1242f', raw: '#8c959f' } as const;
const BAR_NAMES = { conclave: 'Conclave', etcd3: 'etcd3', raw: 'raw limit / floor / bare node' } as const;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function tick(x: number): string {
  return x >= 1000 ? x.toLocaleString('en-US') : x >= 1 ? String(Math.round(x * 100) / 100) : x.toPrecision(2);
}

/** A grouped bar chart: one group per measure, one bar per series (missing values left out). */
export function barChart(spec: BarChartSpec): string {
  const groups = spec.groups.map((g) => ({ ...g, bars: g.bars.filter((b) => Number.isFinite(b.value) && (!spec.log || b.value > 0)) }));
  const values = groups.flatMap((g) => [...g.bars.map((b) => b.value), ...(g.target !== undefined && Number.isFinite(g.target) ? [g.target] : [])]);
  const width = Math.max(W, M.left + 40 + groups.length * 120 + 20);
  const height = H + 40;
  const bottom = 92;
  const plotH = height - M.top - bottom;
  let y: (value: number) => number;
  const ticks: number[] = [];
  if (spec.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.max(Math.min(...values, 1), 1e-3)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
    y = (value) => height - bottom - ((Math.log10(Math.max(value, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    for (let d = lo; d <= hi; d *= 10) ticks.push(d);
  } else {
    const max = Math.max(...values, 1);
    const step = 10 ** Math.floor(Math.log10(max));
    const hi = Math.ceil(max / step) * step;
    y = (value) => height - bottom - (value / hi) * plotH;
    for (let t = 0; t <= hi + 1e-9; t += hi / 5) ticks.push(t);
  }
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (const t of ticks) {
    out.push(`<line x1="${M.left}" x2="${width - 20}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${tick(t)}</text>`);
  }
  out.push(`<text x="14" y="${M.top + plotH / 2}" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(spec.unit)}</text>`);
  const slot = (width - M.left - 40) / Math.max(groups.length, 1);
  groups.forEach((g, i) => {
    const x0 = M.left + 20 + i * slot;
    const barW = Math.min(28, (slot - 20) / 3);
    g.bars.forEach((b, j) => {
      const x = x0 + j * (barW + 4);
      const top = y(b.value);
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${(height - bottom - top).toFixed(1)}" fill="${BAR_COLORS[b.series]}"/>`);
      out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10">${tick(b.value)}</text>`);
    });
    if (g.target !== undefined && Number.isFinite(g.target)) {
      const ty = y(g.target).toFixed(1);
      out.push(`<line x1="${(x0 - 4).toFixed(1)}" x2="${(x0 + 3 * (barW + 4)).toFixed(1)}" y1="${ty}" y2="${ty}" stroke="black" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    }
    const words = g.label.split(' ');
    const lines: string[] = [''];
    for (const w of words) {
      if ((lines[lines.length - 1]! + ' ' + w).length > slot / 6.5) lines.push(w);
      else lines[lines.length - 1] = `${lines[lines.length - 1]} ${w}`.trim();
    }
    lines.slice(0, 4).forEach((l, k) => out.push(`<text x="${(x0 + slot / 2 - 10).toFixed(1)}" y="${height - bottom + 16 + k * 13}" text-anchor="middle" font-size="10">${esc(l)}</text>`));
  });
  (['conclave', 'etcd3', 'raw'] as const).forEach((series, k) => {
    const lx = M.left + k * 150;
    out.push(`<rect x="${lx}" y="${height - 20}" width="12" height="12" fill="${BAR_COLORS[series]}"/>`);
    out.push(`<text x="${lx + 16}" y="${height - 10}" font-size="11">${BAR_NAMES[series]}</text>`);
  });
  out.push(`<line x1="${M.left + 490}" x2="${M.left + 514}" y1="${height - 14}" y2="${height - 14}" stroke="black" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${M.left + 518}" y="${height - 10}" font-size="11">target</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
