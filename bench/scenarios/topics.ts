/**
 * Topic publish vs raw put (issue 14, item 3), same client library, same etcd, same run.
 * `npx tsx bench/scenarios/topics.ts [messages] [repeats]` starts a throwaway single-member etcd
 * and, for 1 and 64 requests in flight, alternates {@link TOPICS_CELLS}, `repeats` times each
 * (default 3; the table shows medians):
 * - `put`: raw `client.put()` of fresh keys (the limit);
 * - `publish`: `topic.publish()` with the default retention (1,000 messages, 24 h), on a topic
 *   already past its count bound, so trimming is part of the steady state measured.
 *
 * Besides messages/s, each cell counts the etcd RPCs it caused by method (etcd's
 * `grpc_server_handled_total`, read from `/metrics` before and after) per message, and the
 * writes per message from etcd's revision (every write moves it by one).
 * Targets (printed, not asserted): publish >= 90 % of put at 1 in flight and >= 80 % at 64, one
 * write per message (Put only, no Txn) in the steady state.
 *
 * In `npm run bench` a cell is `runTopics(endpoint, metricsUrl, namespace, cell, inFlight, n)`
 * in a fresh worker process.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/index.js';
import { startSingle } from '../../test/harness/standalone.js';
import { snapshot, type MetricsSnapshot } from '../lib/metrics.js';

export const TOPICS_CELLS = ['put', 'publish'] as const;
export type TopicsCell = (typeof TOPICS_CELLS)[number];
/** Requests in flight measured. */
export const TOPICS_IN_FLIGHT = [1, 64] as const;
/** The unary KV methods counted. */
const METHODS = ['Put', 'Txn', 'Range', 'DeleteRange', 'LeaseGrant'] as const;

export interface TopicsResult {
  scenario: 'topics';
  cell: TopicsCell;
  inFlight: number;
  n: number;
  messagesPerSecond: number;
  /** etcd writes (revisions) per message. */
  writesPerMessage: number;
  /** etcd RPCs per message, by method. */
  rpcsPerMessage: Record<string, number>;
}

function rpcs(after: MetricsSnapshot, before: MetricsSnapshot, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of METHODS) out[m] = (after.handled(m) - before.handled(m)) / n;
  return out;
}

/** Runs `n` calls of `send(i)`, `inFlight` at a time. */
async function drive(n: number, inFlight: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await send(next++);
    }),
  );
}

/** One cell: `n` messages, `inFlight` at a time, by a fresh client under `namespace`. */
export async function runTopics(endpoint: string, metricsUrl: string, namespace: string, cell: TopicsCell, inFlight: number, n: number): Promise<TopicsResult> {
  const c = await connect({ endpoints: [endpoint], namespace });
  try {
    const topic = c.topic<number>('t');
    const value = JSON.stringify(0);
    const send = cell === 'put' ? (i: number) => c.put(`raw/${String(i).padStart(9, '0')}`, value) : (i: number) => topic.publish(i);
    // Warm up: connection, and for publish a topic past its count bound (the steady state).
    await drive(cell === 'publish' ? 1200 : 200, inFlight, send);
    const before = await snapshot(metricsUrl);
    const r0 = await c.put('bench/topics/probe', 'x');
    const t = performance.now();
    await drive(n, inFlight, send);
    const ms = performance.now() - t;
    const r1 = await c.put('bench/topics/probe', 'x');
    const after = await snapshot(metricsUrl);
    const perMessage = rpcs(after, before, n);
    perMessage['Put'] = (perMessage['Put'] ?? 0) - 2 / n; // the two probes
    return {
      scenario: 'topics',
      cell,
      inFlight,
      n,
      messagesPerSecond: n / (ms / 1000),
      writesPerMessage: Number(r1.revision - r0.revision - 1n) / n,
      rpcsPerMessage: perMessage,
    };
  } finally {
    await c.close();
  }
}

/** Whether publish meets its targets against put at the same concurrency. */
export function topicsTargets(put: TopicsResult, publish: TopicsResult): { throughput: boolean; writes: boolean } {
  const ratio = publish.messagesPerSecond / put.messagesPerSecond;
  return { throughput: ratio >= (publish.inFlight === 1 ? 0.9 : 0.8), writes: (publish.rpcsPerMessage['Txn'] ?? 1) < 0.01 && publish.writesPerMessage < 1.05 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function medianResult(runs: TopicsResult[]): TopicsResult {
  const first = runs[0]!;
  const rpcsPerMessage: Record<string, number> = {};
  for (const m of METHODS) rpcsPerMessage[m] = median(runs.map((r) => r.rpcsPerMessage[m] ?? 0));
  return { ...first, messagesPerSecond: median(runs.map((r) => r.messagesPerSecond)), writesPerMessage: median(runs.map((r) => r.writesPerMessage)), rpcsPerMessage };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5000);
  const repeats = Number(process.argv[3] ?? 3);
  const etcd = await startSingle();
  const endpoint = etcd.endpoints[0]!;
  const metricsUrl = etcd.metricsUrls[0]!;
  try {
    const rows = [
      `| cell (${n} messages) | in flight | msgs/s | vs put | writes/msg | Put | Txn | Range | DeleteRange | LeaseGrant | target |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ];
    let run = 0;
    for (const inFlight of TOPICS_IN_FLIGHT) {
      const results: Record<TopicsCell, TopicsResult[]> = { put: [], publish: [] };
      for (let i = 0; i < repeats; i++) {
        for (const cell of TOPICS_CELLS) results[cell].push(await runTopics(endpoint, metricsUrl, `bench/topics/${run++}/`, cell, inFlight, n));
      }
      const put = medianResult(results.put);
      const publish = medianResult(results.publish);
      for (const r of [put, publish]) {
        const met = r.cell === 'publish' ? topicsTargets(put, r) : undefined;
        const f = (m: string): string => (r.rpcsPerMessage[m] ?? 0).toFixed(3);
        rows.push(
          `| ${r.cell} | ${inFlight} | ${r.messagesPerSecond.toFixed(0)} | ${Math.round((100 * r.messagesPerSecond) / put.messagesPerSecond)} % | ${r.writesPerMessage.toFixed(3)} | ${f('Put')} | ${f('Txn')} | ${f('Range')} | ${f('DeleteRange')} | ${f('LeaseGrant')} | ${met ? `${met.throughput ? '✓' : '✗'} speed, ${met.writes ? '✓' : '✗'} 1 write` : ''} |`,
        );
      }
    }
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await etcd.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
