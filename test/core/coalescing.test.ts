/**
 * The coalescing core against a real 3-member cluster of this file's own,
 * measured with etcd's own metrics.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { startCluster, type EtcdCluster } from '../harness/index.js';
import { waitFor } from '../contract/collect.js';

let cluster: EtcdCluster;
let client: Conclave;

beforeAll(async () => {
  cluster = await startCluster();
  client = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

/** etcd's count of watchers, summed over members. */
async function serverWatchers(): Promise<number> {
  let total = 0;
  for (const m of cluster.members) total += await m.metric('etcd_debugging_mvcc_watcher_total');
  return total;
}

it('10,000 subscribers on one key: one server watcher (in stats and in etcd), and 100 puts reach each in order', async () => {
  const before = await serverWatchers();
  const N = 10_000;
  const seen = Array.from({ length: N }, () => [] as bigint[]);
  let complete = 0;
  const done = waitFor(() => complete === N, 60_000, 'every subscriber to get 100 events');
  const subs = seen.map((list) =>
    client.watch('hot').subscribe((e) => {
      list.push(e.revision);
      if (list.length === 100) {
        complete++;
        done.check();
      }
    }),
  );
  expect(client.stats()).toMatchObject({ serverWatchers: 1, watchSubscribers: N });
  // Watcher creation is asynchronous on the server: wait for etcd to count it.
  await cluster.members[0]!.metric('etcd_debugging_mvcc_watcher_total'); // warm the metrics endpoint
  const deadline = Date.now() + 10_000;
  while ((await serverWatchers()) !== before + 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  expect(await serverWatchers()).toBe(before + 1);

  const revisions: bigint[] = [];
  for (let i = 0; i < 100; i++) revisions.push((await client.put('hot', String(i))).revision);
  await done.promise;
  for (const list of seen) expect(list).toEqual(revisions);

  for (const s of subs) s.unsubscribe();
  expect(client.stats()).toMatchObject({ serverWatchers: 0, watchSubscribers: 0 });
  const end = Date.now() + 10_000;
  while ((await serverWatchers()) !== before && Date.now() < end) await new Promise((r) => setImmediate(r));
  expect(await serverWatchers()).toBe(before);
});

it('1,000 subscriptions to 1,000 different keys are created without serial round trips, and each works', async () => {
  const N = 1000;
  let got = 0;
  const all = waitFor(() => got === N, 30_000, 'an event on every key');
  const subs = Array.from({ length: N }, (_, i) =>
    client.watch(`many/${i}`).subscribe(() => {
      got++;
      all.check();
    }),
  );
  expect(client.stats().serverWatchers).toBe(N);
  await Promise.all(Array.from({ length: N }, (_, i) => client.put(`many/${i}`, 'x')));
  await all.promise;
  for (const s of subs) s.unsubscribe();
  expect(client.stats().serverWatchers).toBe(0);
});

it('a late subscriber from an old revision catches up, joins the shared watcher, with no gap and no duplicate', async () => {
  const first = await client.put('late', '0');
  const live: bigint[] = [];
  // Both subscribers are awaited: on a busy shared cluster both server watchers may start behind etcd's revision and be
  // caught up by etcd's sync loop in either order.
  const liveCaughtUp = waitFor(() => live.length >= 24, 20_000, 'live subscriber');
  const liveSub = client.watch('late').subscribe((e) => {
    live.push(e.revision);
    liveCaughtUp.check();
  });
  const expected = [first.revision];
  for (let i = 1; i < 20; i++) expected.push((await client.put('late', String(i))).revision);
  const late: bigint[] = [];
  const caughtUp = waitFor(() => late.length >= 25, 20_000, 'late subscriber');
  const lateSub = client.watch('late', { fromRevision: first.revision }).subscribe((e) => {
    late.push(e.revision);
    caughtUp.check();
  });
  for (let i = 20; i < 25; i++) expected.push((await client.put('late', String(i))).revision);
  await Promise.all([caughtUp.promise, liveCaughtUp.promise]);
  expect(late).toEqual(expected);
  expect(live).toEqual(expected.slice(1));
  // Joined: back to a single server watcher once it met the shared history.
  expect(client.stats().serverWatchers).toBe(1);
  liveSub.unsubscribe();
  lateSub.unsubscribe();
  expect(client.stats().serverWatchers).toBe(0);
});
