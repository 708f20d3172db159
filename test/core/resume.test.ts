/**
 * Watches resume across member failures with no gap and no duplicate.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { startCluster, type EtcdCluster } from '../harness/index.js';
import { waitFor } from '../contract/collect.js';

let cluster: EtcdCluster;
const clients: Conclave[] = [];

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

it('1,000 puts while the member under the watch stream is killed and another restarted: every subscriber gets all, in order, once', async () => {
  const [m0, m1, m2] = cluster.members as [typeof cluster.members[0], typeof cluster.members[0], typeof cluster.members[0]];
  // The watcher prefers m0 (the first endpoint); the publisher talks only to m1 and m2.
  const watcher = await connect({ endpoints: [m0.clientAddress, m1.clientAddress, m2.clientAddress] });
  const publisher = await connect({ endpoints: [m1.clientAddress, m2.clientAddress] });
  clients.push(watcher, publisher);

  const N = 1000;
  const SUBS = 5;
  const received = Array.from({ length: SUBS }, () => [] as bigint[]);
  const done = waitFor(() => received.every((r) => r.length >= N), 90_000, 'all events at every subscriber');
  const subs = received.map((list) =>
    watcher.watch('resume/', { prefix: true }).subscribe((e) => {
      list.push(e.revision);
      done.check();
    }),
  );
  // Make sure the shared watcher is established before the first put.
  const ready = waitFor(() => received.every((r) => r.length === 1), 20_000, 'first event');
  const sub0 = watcher.watch('resume/', { prefix: true }).subscribe(() => ready.check());
  const revisions: bigint[] = [];
  revisions.push((await publisher.put('resume/0', '0')).revision);
  await ready.promise;
  sub0.unsubscribe();

  for (let i = 1; i < N; i++) {
    if (i === 250) await m0.kill(); // the member under the watch stream
    if (i === 500) await m0.restart();
    if (i === 650) await m2.kill(); // another member (the publisher fails over to m1)
    if (i === 800) await m2.restart();
    revisions.push((await putWithRetry(publisher, `resume/${i % 7}`, String(i))).revision);
  }
  await done.promise;
  // Ground truth: etcd's own history of the prefix (a put retried after an ambiguous failure may appear twice there).
  const truth = await history(publisher, revisions[0]!, revisions.at(-1)!);
  for (const r of revisions) expect(truth).toContain(r);
  for (const list of received) expect(list.slice(0, truth.length)).toEqual(truth);
  for (const s of subs) s.unsubscribe();
});

async function history(c: Conclave, from: bigint, to: bigint): Promise<bigint[]> {
  const out: bigint[] = [];
  const done = waitFor(() => out.at(-1) === to, 20_000, 'history replay');
  const sub = c.watch('resume/', { prefix: true, fromRevision: from }).subscribe((e) => {
    out.push(e.revision);
    done.check();
  });
  await done.promise;
  sub.unsubscribe();
  return out;
}

/** The publisher may hit the moment a member dies; a put that fails before reaching etcd is retried. */
async function putWithRetry(c: Conclave, key: string, value: string): Promise<{ revision: bigint }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await c.put(key, value);
    } catch (e) {
      if (Date.now() > deadline || !(e as { retryable?: boolean }).retryable) throw e;
    }
  }
}
