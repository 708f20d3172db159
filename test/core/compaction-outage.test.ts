/**
 * Compaction while a client is cut off. A TCP relay (blackhole) sits between the watching
 * client and its own single-member etcd; a second, direct client writes and compacts while
 * the watcher is cut off. After the relay is restored every subscriber must either get every
 * event after its subscribe point, in order, or error with `CompactedError` — never a silent
 * gap. Also: no server watcher is left behind once the subscribers of a moved watcher leave.
 */
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, CompactedError, type Conclave } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import type { WatchHub } from '../../src/core/watch-hub.js';
import { gatewayPost, parseMetrics, pollUntil, startRelay, startSingle, sumMetric, uniquePrefix, type EtcdCluster, type Relay } from '../harness/index.js';
import { waitFor } from '../contract/collect.js';

let cluster: EtcdCluster;
let relay: Relay;
const clients: Conclave[] = [];

beforeAll(async () => {
  cluster = await startSingle({ name: 'compaction-outage' });
  relay = await startRelay(cluster.members[0]!.clientAddress);
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await relay?.close();
  await cluster?.stop();
});

async function open(endpoints: string[], namespace: string): Promise<Conclave> {
  const c = await connect({ endpoints, namespace });
  clients.push(c);
  return c;
}

const hubOf = (c: Conclave): WatchHub => (c as ConclaveClient).core.watchHub;
const compact = (revision: bigint) =>
  gatewayPost(cluster.members[0]!.clientUrl, '/v3/kv/compaction', { revision: revision.toString(), physical: true });
const etcdWatchers = async (): Promise<number> => sumMetric(parseMetrics(await cluster.members[0]!.metrics()), 'etcd_debugging_mvcc_watcher_total');

/**
 * Cuts `watcher` off (blackhole), runs `meanwhile` (writes and a compaction through another client), waits until
 * `watcher`'s hub gave up its silent stream and opened another one (whose watchers must resume after the compaction),
 * then restores the traffic.
 */
async function outage(watcher: Conclave, meanwhile: () => Promise<void>): Promise<void> {
  const hub = hubOf(watcher);
  const opened = hub.streamsOpened;
  relay.cut('blackhole');
  try {
    await meanwhile();
    await pollUntil(() => (hub.streamsOpened > opened ? true : undefined), { timeoutMs: 30_000, description: 'the watch stream to be reopened' });
  } finally {
    relay.restore();
  }
}

interface Recorded {
  name: string;
  revisions: bigint[];
  error: unknown;
  sub?: Subscription;
}

function record(name: string): Recorded {
  return { name, revisions: [], error: undefined };
}

/** Every event after the subscribe point, in order; or some of them (no gap) and then `CompactedError`. */
function expectNoSilentGap(r: Recorded, truth: bigint[]): void {
  if (r.error !== undefined) {
    expect(r.error, r.name).toBeInstanceOf(CompactedError);
    expect(r.revisions, r.name).toEqual(truth.slice(0, r.revisions.length));
  } else {
    expect(r.revisions, r.name).toEqual(truth);
  }
}

it('a live subscriber moved past a compaction it never depended on leaves no server watcher once it unsubscribes', async () => {
  const prefix = uniquePrefix('moved watcher');
  const direct = await open(cluster.endpoints, prefix);
  const stale = await open(cluster.endpoints, prefix); // knows only the revision at connect
  for (let i = 0; i < 3; i++) await direct.put('other', String(i));
  const { revision: compactAt } = await direct.put('other', 'last');
  await compact(compactAt);
  const before = await etcdWatchers();

  // Its start (the stale known revision + 1) is compacted and was never confirmed: the hub moves it to the compaction point.
  const got: bigint[] = [];
  const seen = waitFor(() => got.length === 1, 20_000, 'the event after the move');
  const sub = stale.watch('k').subscribe({ next: (e) => (got.push(e.revision), seen.check()) });
  await pollUntil(async () => ((await etcdWatchers()) === before + 1 ? true : undefined), { timeoutMs: 20_000, description: 'the moved watcher on etcd' });
  const { revision } = await direct.put('k', 'v');
  await seen.promise;
  expect(got).toEqual([revision]);
  expect(stale.stats().serverWatchers).toBe(1);

  sub.unsubscribe();
  expect(stale.stats()).toMatchObject({ serverWatchers: 0, watchSubscribers: 0 });
  await pollUntil(async () => ((await etcdWatchers()) === before ? true : undefined), { timeoutMs: 20_000, description: "etcd's watcher count back down" });
});

it('writes and a compaction while the client is cut off: live subscribers get every event after their subscribe point, or CompactedError', async () => {
  const prefix = uniquePrefix('live cut off');
  const direct = await open(cluster.endpoints, prefix);
  const watcher = await open([relay.address], prefix);

  // `first` receives the probe; `joined` joins the confirmed shared watcher after it and has received nothing.
  const first = record('first');
  const joined = record('joined');
  const probe = waitFor(() => first.revisions.length === 1, 20_000, 'the probe');
  const subscribe = (r: Recorded) =>
    (r.sub = watcher.watch('w/', { prefix: true }).subscribe({
      next: (e) => (r.revisions.push(e.revision), probe.check(), done.check()),
      error: (e: unknown) => ((r.error = e), done.check()),
    }));
  let after = -1n;
  const finished = (r: Recorded) => r.error !== undefined || r.revisions.at(-1) === after;
  const done = waitFor(() => finished(first) && finished(joined), 40_000, 'every subscriber to end or see the last write');
  subscribe(first);
  const probeRevision = (await direct.put('w/probe', 'p')).revision;
  await probe.promise;
  subscribe(joined);

  const written: bigint[] = [];
  await outage(watcher, async () => {
    for (let i = 0; i < 5; i++) written.push((await direct.put(`w/${i % 2}`, String(i))).revision);
    await compact((await direct.put('elsewhere', 'x')).revision);
  });
  after = (await direct.put('w/after', 'a')).revision;
  done.check();
  await done.promise;

  expectNoSilentGap(first, [probeRevision, ...written, after]);
  expectNoSilentGap(joined, [...written, after]);
  first.sub?.unsubscribe();
  joined.sub?.unsubscribe();
});

it("topic onCompacted: 'retained' resumes after the last delivered message across two compactions, with no duplicate", async () => {
  const prefix = uniquePrefix('topic retained');
  const direct = await open(cluster.endpoints, prefix);
  const watcher = await open([relay.address], prefix);
  const publisher = direct.topic<number>('t');
  const topic = watcher.topic<number>('t');

  const live = record('live retained');
  const replay = record('replay retained');
  const published: bigint[] = [];
  let check = () => {};
  const follow = (r: Recorded, fromRevision?: bigint) =>
    (r.sub = topic.messages$({ fromRevision, onCompacted: 'retained' }).subscribe({
      next: (m) => (r.revisions.push(m.revision), check()),
      error: (e: unknown) => ((r.error = e), check()),
    }));
  const until = async (count: number) => {
    const wait = waitFor(() => [live, replay].every((r) => r.error !== undefined || r.revisions.length >= count), 40_000, `${count} messages`);
    check = wait.check;
    await wait.promise;
  };

  follow(live); // starts at the watcher's known revision + 1: before message 0
  published.push((await publisher.publish(0)).revision);
  follow(replay, published[0]);
  published.push((await publisher.publish(1)).revision);
  await until(2);

  for (let round = 0; round < 2; round++) {
    await outage(watcher, async () => {
      for (let i = 0; i < 3; i++) published.push((await publisher.publish(10 * round + i)).revision);
      await compact((await direct.put('elsewhere', 'x')).revision);
    });
    published.push((await publisher.publish(100 + round)).revision);
    await until(published.length);
  }
  expect(replay.revisions).toEqual(published);
  expect(replay.error).toBeUndefined();
  expect(live.revisions).toEqual(published);
  expect(live.error).toBeUndefined();
  live.sub?.unsubscribe();
  replay.sub?.unsubscribe();
});
