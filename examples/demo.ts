/**
 * Conclave's main jobs in one short run:
 * 1. three workers elect a leader; the leader steps down and another takes over at once;
 * 2. two workers contend for a lock; each write is fenced by the lock's token;
 * 3. two services talk over a topic (orders -> billing), in order, each message once.
 *
 * Run: `npm run demo` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { connect, type Conclave } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const namespace = `demo/${process.pid}/`;
// Each worker is its own client: its own connection and session, as separate processes would have.
const workers: Conclave[] = await Promise.all(['w1', 'w2', 'w3'].map(() => connect({ endpoints: etcd.endpoints, namespace })));
const text = new TextDecoder();
try {
  // 1. Leader election with handover.
  console.log('== leader election');
  const election = workers[0]!.election('scheduler');
  election.leader$.pipe(filter((l) => l !== undefined), take(2)).subscribe((l) => console.log(`  leader$: ${text.decode(l!.value)} (term ${l!.revision})`));
  const first = await workers[0]!.election('scheduler').campaign('w1');
  // w2 and w3 line up behind w1 (in the order their campaign keys are created).
  const waiting = ['w2', 'w3'].map((name, i) => workers[i + 1]!.election('scheduler').campaign(name).then((term) => ({ name, term })));
  console.log(`  w1 leads, fencing token ${first.revision}; w2 and w3 wait in line`);
  await first.resign();
  const next = await Promise.race(waiting);
  console.log(`  w1 resigned -> ${next.name} leads at once, token ${next.term.revision} (> ${first.revision})`);
  await next.term.resign();
  const last = await waiting[next.name === 'w2' ? 1 : 0]!;
  console.log(`  ${next.name} resigned -> ${last.name} leads, token ${last.term.revision}`);
  await last.term.resign();

  // 2. A lock and fenced writes.
  console.log('== mutex with fencing tokens');
  const tokens: bigint[] = [];
  await Promise.all(
    workers.slice(0, 2).map((w, i) =>
      w.mutex('nightly-report').withLock(async (lock) => {
        tokens.push(lock.fencingToken);
        // A write that etcd applies only while this lock is still held.
        await lock.putIfHeld('report/owner', `w${i + 1}`);
        console.log(`  w${i + 1} holds ${lock.key}, token ${lock.fencingToken}`);
      }),
    ),
  );
  console.log(`  tokens strictly increase: ${tokens.join(' < ')}`);

  // 3. Two services over a topic.
  console.log('== topic between two services');
  const orders = workers[0]!.topic<{ id: number; item: string }>('orders');
  const billing = workers[1]!.topic<{ id: number; item: string }>('orders');
  const received = firstValueFrom(billing.messages$().pipe(take(3), toArray()));
  for (const [id, item] of [[1, 'book'], [2, 'lamp'], [3, 'desk']] as const) {
    const { revision } = await orders.publish({ id, item });
    console.log(`  orders published #${id} (${item}) at revision ${revision}`);
  }
  for (const m of await received) console.log(`  billing got #${m.value.id} ${m.value.item} @${m.revision}`);
  console.log(`  stats of the billing client: ${JSON.stringify(workers[1]!.stats())}`);

  await workers[0]!.delete('', { prefix: true });
} finally {
  await Promise.all(workers.map((w) => w.close()));
  await etcd.stop();
}
console.log('demo done');
