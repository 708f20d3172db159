/**
 * The fan-out chart: subscribers (x, log scale) against put→all-saw latency
 * (y, log scale), p50 and p99, Conclave vs etcd3 — a self-contained SVG.
 *
 * @example
 * ```ts
 * writeFileSync('bench/fanout.svg', fanoutChart(watchResults, [1, 100, 1000, 10000]));
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
