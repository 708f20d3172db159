/**
 * Watch fan-out: N subscribers on ONE key in one client, then puts on that key.
 *
 * - Conclave: N `client.watch(key).subscribe()` (coalesced onto one server watcher).
 * - etcd3: N `client.watch().key(key).create()` (one server watcher each).
 *
 * Measured, in this process:
 * - `watchersAdded` / `streamsAdded`: etcd's `etcd_debugging_mvcc_watcher_total` /
 *   `etcd_debugging_mvcc_watch_stream_total` after minus before subscribing.
 * - `coldWatchMs`: first, ONE warm-up watch on another key (subscribe, put, seen, cancel): the
 *   first watch of a process pays one-time costs (connection, HTTP/2 stream, JIT; etcd3's
 *   protobufjs also generates its Watch message codecs on first use, ~10-30 ms here), so they
 *   are reported apart and kept out of `createAllMs`.
 * - `createAllMs`: from the first subscribe call until a probe put, issued as soon as the
 *   library says the subscriptions are set up, has been seen by all N subscribers. That is the
 *   time until every subscriber is provably receiving. etcd3 must wait for every `create()`
 *   (a put before its watcher exists is lost); Conclave's `subscribe()` returns at once and its
 *   watcher starts at the client's known revision + 1, so the probe is never lost.
 * - `setupMs`: until the library said the subscriptions were set up (etcd3: every `create()`
 *   resolved; Conclave: the N `subscribe()` calls returned).
 * - `latency`: for each of up to {@link PUTS} puts, one at a time, from just before `put()` until
 *   the last of the N subscribers saw that put (after up to {@link WARMUP} unmeasured puts).
 *   Bounded: warm-up puts stop after a quarter of {@link PUT_BUDGET_MS}, measured puts after it.
 * - `spread`: for the same puts, from the first to the last of the N subscribers seeing it: the
 *   client-side (and, for etcd3, server-side: N watchers = N messages) cost of the fan-out,
 *   without etcd's put latency.
 * - RSS of the process with all subscribers open, and right after connecting.
 * @module
 */
import { summarize, type Summary } from '../lib/stats.js';
import { rssMb } from '../lib/rss.js';
import { snapshot, WATCHERS, WATCH_STREAMS } from '../lib/metrics.js';
import { now, sleep, within } from '../lib/timing.js';
import type { Side, WorkerContext } from '../lib/worker-context.js';

/** Measured puts per run. */
export const PUTS = 100;
/** Unmeasured puts before measuring. */
export const WARMUP = 5;
/** The measured put loop stops after this long even if fewer than {@link PUTS} puts were measured (at least one is). */
export const PUT_BUDGET_MS = 15_000;

export interface FanoutResult {
  scenario: 'watch';
  side: Side;
  n: number;
  watchersAdded: number;
  streamsAdded: number;
  coldWatchMs: number;
  setupMs: number;
  createAllMs: number;
  latency: Summary;
  spread: Summary;
  rssBaseMb: number;
  rssMb: number;
  /** `rssMb - rssBaseMb` of this run (medians of runs are taken per field, so keep the difference too). */
  rssGrowthMb: number;
  /** Set by the runner: how many runs (processes) the numbers are the median of, and why others failed. */
  runs?: number;
  failedRuns?: string[];
}

/** What the scenario needs from a client library. */
interface FanoutClient {
  /**
   * Opens `n` subscriptions on `key`, each calling `onPut` for every put event; resolves when
   * the library says they are set up, with a handle that cancels them.
   */
  subscribe(key: string, n: number, onPut: () => void): Promise<{ cancel(): Promise<void> }>;
  put(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

async function conclaveClient(endpoint: string): Promise<FanoutClient> {
  const { connect } = await import('../../src/index.js');
  const client = await connect({ endpoints: [endpoint] });
  const subs: { unsubscribe(): void }[] = [];
  return {
    async subscribe(key, n, onPut) {
      const mine: { unsubscribe(): void }[] = [];
      for (let i = 0; i < n; i++) {
        mine.push(client.watch(key).subscribe((e) => {
          if (e.type === 'put') onPut();
        }));
      }
      for (const s of mine) subs.push(s);
      return {
        async cancel() {
          for (const s of mine) s.unsubscribe();
        },
      };
    },
    async put(key, value) {
      await client.put(key, value);
    },
    async close() {
      for (const s of subs) s.unsubscribe();
      await client.close();
    },
  };
}

async function etcd3Client(endpoint: string): Promise<FanoutClient> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  return {
    async subscribe(key, n, onPut) {
      const created = await Promise.all(Array.from({ length: n }, () => client.watch().key(key).create()));
      for (const w of created) w.on('put', () => onPut());
      return {
        async cancel() {
          await Promise.all(created.map((w) => w.cancel()));
        },
      };
    },
    async put(key, value) {
      await client.put(key).value(value);
    },
    async close() {
      client.close();
    },
  };
}

/** One watch on `key`, from subscribe until it saw a put, then cancelled; returns that time in ms. */
async function warmUpWatch(client: FanoutClient, key: string): Promise<number> {
  let saw: (() => void) | undefined;
  const seen = new Promise<void>((resolve) => (saw = resolve));
  const t0 = now();
  const handle = await client.subscribe(key, 1, () => saw?.());
  await client.put(key, 'warm-up');
  await within(seen, 30_000, 'the warm-up watch');
  const ms = now() - t0;
  await handle.cancel();
  return ms;
}

/** Runs the fan-out for one library and `n` subscribers. */
export async function runWatchFanout(ctx: WorkerContext, side: Side, n: number): Promise<FanoutResult> {
  const client = side === 'conclave' ? await conclaveClient(ctx.endpoint) : await etcd3Client(ctx.endpoint);
  const key = `${ctx.runId}/watch/${side}/${n}`;
  await client.put(`${key}-warmup`, 'x'); // both libraries connect lazily or partly lazily
  const beforeWarmUp = await snapshot(ctx.metricsUrl);
  const coldWatchMs = await warmUpWatch(client, `${key}-warmup`);
  // etcd drops the cancelled warm-up watcher asynchronously: wait for it, so it is not in `before`.
  let before = await snapshot(ctx.metricsUrl);
  for (const until = now() + 5_000; before.get(WATCHERS) > beforeWarmUp.get(WATCHERS) && now() < until; ) {
    await sleep(20);
    before = await snapshot(ctx.metricsUrl);
  }
  const rssBaseMb = rssMb();

  let seen = 0;
  let firstSawAt = 0;
  let allSaw: (() => void) | undefined;
  const onPut = (): void => {
    if (seen === 0) firstSawAt = now();
    if (++seen === n) allSaw?.();
  };
  const expectAll = (what: string): Promise<void> => {
    seen = 0;
    return within(new Promise<void>((resolve) => (allSaw = resolve)), 60_000, what);
  };

  const t0 = now();
  const probeSeen = expectAll('all subscribers to see the probe');
  await within(client.subscribe(key, n, onPut), 180_000, `${n} subscriptions`);
  const setupMs = now() - t0;
  await client.put(key, 'probe');
  await probeSeen;
  const createAllMs = now() - t0;
  const after = await snapshot(ctx.metricsUrl);

  const samples: number[] = [];
  const spreads: number[] = [];
  const onePut = async (i: number): Promise<void> => {
    const saw = expectAll(`put ${i} to reach all subscribers`);
    const t = now();
    await client.put(key, `v${i}`);
    await saw;
    const end = now();
    samples.push(end - t);
    spreads.push(end - firstSawAt);
  };
  // Warm-up puts get at most a quarter of the budget, so slow cells still measure some puts.
  const warmUpDeadline = now() + PUT_BUDGET_MS / 4;
  for (let i = 0; i < WARMUP && now() < warmUpDeadline; i++) await onePut(i);
  samples.length = 0;
  spreads.length = 0;
  const deadline = now() + PUT_BUDGET_MS;
  for (let i = 0; i < PUTS && now() < deadline; i++) await onePut(WARMUP + i);
  const rssNow = rssMb();
  const result: FanoutResult = {
    scenario: 'watch',
    side,
    n,
    watchersAdded: after.delta(before, WATCHERS),
    streamsAdded: after.delta(before, WATCH_STREAMS),
    coldWatchMs,
    setupMs,
    createAllMs,
    latency: summarize(samples),
    spread: summarize(spreads),
    rssBaseMb,
    rssMb: rssNow,
    rssGrowthMb: rssNow - rssBaseMb,
  };
  await within(client.close(), 30_000, 'close').catch(() => undefined);
  return result;
}
