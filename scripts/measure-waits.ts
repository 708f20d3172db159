/**
 * Measures the waits of the lock primitives on a fresh single etcd member (issue 14):
 * mutex cycles/s with 10 contenders in 1 client and in 10 clients, wait p50/p99, etcd RPCs per
 * cycle (grpc_server_handled_total deltas by method), uncontended acquire+release RPCs, the
 * round trips of the first lock of a fresh client, and the server watchers a client holds.
 *
 *     npx tsx scripts/measure-waits.ts [seconds per cell, default 5]
 * @module
 */
import { connect, type Conclave as Client } from '../src/index.js';
import { parseMetrics, startSingle, type EtcdCluster } from '../test/harness/standalone.js';

const SECONDS = Number(process.argv[2] ?? 5);

async function rpcs(cluster: EtcdCluster): Promise<Map<string, number>> {
  const samples = parseMetrics(await cluster.members[0]!.metrics());
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== 'grpc_server_handled_total') continue;
    const m = s.labels['grpc_method']!;
    out.set(m, (out.get(m) ?? 0) + s.value);
  }
  return out;
}

async function slowWatchers(cluster: EtcdCluster): Promise<number> {
  const samples = parseMetrics(await cluster.members[0]!.metrics());
  return samples.filter((s) => s.name === 'etcd_debugging_mvcc_slow_watcher_total').reduce((a, s) => a + s.value, 0);
}

function delta(after: Map<string, number>, before: Map<string, number>, per = 1): string {
  const parts: string[] = [];
  for (const [m, v] of after) {
    const d = v - (before.get(m) ?? 0);
    if (d > 0) parts.push(`${m} ${(d / per).toFixed(2)}`);
  }
  return parts.join(', ');
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function contended(cluster: EtcdCluster, clients: Client[], contenders: number, label: string): Promise<void> {
  const name = `m-${label}`;
  const waits: number[] = [];
  let cycles = 0;
  let stop = false;
  const before = await rpcs(cluster);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: contenders }, async (_, i) => {
      const m = clients[i % clients.length]!.mutex(name);
      while (!stop) {
        const t = performance.now();
        const lock = await m.acquire();
        waits.push(performance.now() - t);
        cycles++;
        await lock.release();
      }
    }).concat([
      (async () => {
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        stop = true;
      })(),
    ]),
  );
  const secs = (performance.now() - started) / 1000;
  const after = await rpcs(cluster);
  const watchers = clients.reduce((a, c) => a + c.stats().serverWatchers, 0);
  console.log(
    `${label}: ${(cycles / secs).toFixed(0)} cycles/s, wait p50 ${pct(waits, 50).toFixed(1)} ms p99 ${pct(waits, 99).toFixed(1)} ms; RPCs/cycle: ${delta(after, before, cycles)}; server watchers now ${watchers}`,
  );
}

async function main(): Promise<void> {
  const cluster = await startSingle({ name: 'measure-waits' });
  const endpoint = cluster.endpoints[0]!;
  try {
    // First lock of a fresh client: RPCs (round trips are read off the sequence).
    const fresh = await connect({ endpoints: [endpoint] });
    await fresh.get('warm');
    let before = await rpcs(cluster);
    let t = performance.now();
    const first = await fresh.mutex('cold').acquire();
    const coldMs = performance.now() - t;
    console.log(`first lock of a fresh client: ${coldMs.toFixed(1)} ms; RPCs: ${delta(await rpcs(cluster), before)}`);
    await first.release();

    // Uncontended acquire+release, steady state.
    const m = fresh.mutex('plain');
    await (await m.acquire()).release();
    before = await rpcs(cluster);
    const N = 200;
    t = performance.now();
    for (let i = 0; i < N; i++) await (await m.acquire()).release();
    const secs = (performance.now() - t) / 1000;
    console.log(`uncontended: ${(N / secs).toFixed(0)} cycles/s; RPCs/cycle: ${delta(await rpcs(cluster), before, N)}`);

    // 1,000 held locks of distinct names.
    const held = await Promise.all(Array.from({ length: 1000 }, (_, i) => fresh.mutex(`held-${i}`).acquire()));
    console.log(`1,000 held locks: server watchers ${fresh.stats().serverWatchers}`);
    await Promise.all(held.map((l) => l.release()));
    await fresh.close();

    const slow0 = await slowWatchers(cluster);
    const one = await connect({ endpoints: [endpoint] });
    await contended(cluster, [one], 10, '10 contenders, 1 client');
    await one.close();
    const ten = await Promise.all(Array.from({ length: 10 }, () => connect({ endpoints: [endpoint] })));
    await contended(cluster, ten, 10, '10 contenders, 10 clients');
    await Promise.all(ten.map((c) => c.close()));
    console.log(`slow (unsynced) watchers created during the contended cells: ${(await slowWatchers(cluster)) - slow0}`);
  } finally {
    await cluster.stop();
  }
}

await main();
