/**
 * A worker pool with a leader: three workers (each its own client, as three
 * processes would be) campaign for leadership of the pool; the leader hands
 * out work (a plan written with the term's fencing). When the leader's process goes away (here: its client closes,
 * which revokes its session lease) the next candidate takes over at once.
 *
 * Run: `npx tsx examples/worker-pool.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { connect, type Conclave, type Leadership } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const namespace = `examples/worker-pool/${process.pid}/`;

interface Worker {
  name: string;
  client: Conclave;
  /** Resolves when this worker becomes the leader. */
  elected: Promise<Leadership>;
}

async function startWorker(name: string): Promise<Worker> {
  const client = await connect({ endpoints: etcd.endpoints, namespace });
  const elected = client.election('pool').campaign(name);
  const working = elected.then(
    async (term) => {
      console.log(`${name}: I am the leader now (term ${term.revision})`);
      term.signal.addEventListener('abort', () => console.log(`${name}: my term ended (${(term.signal.reason as Error).name})`), { once: true });
      // Leader work: publish the plan, fenced on this term (rejected with LockLostError once the term is over).
      await term.putIfHeld('plans/pool', JSON.stringify({ leader: name, term: String(term.revision), shards: [1, 2, 3] }));
      return term;
    },
    () => undefined, // this worker's client closed before it was elected
  );
  return { name, client, elected: working.then((term) => term ?? elected) };
}

// An observer (e.g. a dashboard) follows the pool's leader.
const observer = await connect({ endpoints: etcd.endpoints, namespace });
const text = new TextDecoder();
const leaders: string[] = [];
const sub = observer.election('pool').leader$.subscribe((leader) => {
  const name = leader ? text.decode(leader.value) : '(none)';
  leaders.push(name);
  console.log(`observer: leader is ${name}`);
});

const workers: Worker[] = [];
/** The worker that is (or next becomes) the leader. */
const nextLeader = (candidates: Worker[]) => Promise.race(candidates.map((w) => w.elected.then(() => w)));
try {
  for (const name of ['worker-1', 'worker-2', 'worker-3']) workers.push(await startWorker(name));

  // Twice: the leader crashes (its client closes, so its lease is revoked) and another worker takes over.
  let candidates = [...workers];
  for (let crash = 0; crash < 2; crash++) {
    const leader = await nextLeader(candidates);
    console.log(`${leader.name} crashes ...`);
    candidates = candidates.filter((w) => w !== leader);
    await leader.client.close();
  }
  const last = await nextLeader(candidates);
  const term = await last.elected;

  const plan = await observer.get('plans/pool');
  console.log(`the plan in etcd: ${plan ? text.decode(plan.value) : '(none)'}`);
  const current = await observer.election('pool').leader();
  console.log(`leader() says: ${current ? text.decode(current.value) : '(none)'}, fencing token ${current?.revision}`);
  if (current?.revision !== term.revision) throw new Error(`the observer should see ${last.name} as the leader`);
  await term.resign();
} finally {
  sub.unsubscribe();
  await Promise.all(workers.map((w) => w.client.close()));
  await observer.close();
  await etcd.stop();
}
console.log(`leaders seen by the observer: ${leaders.join(' -> ')}`);
console.log('worker-pool done');
