/**
 * A worker pool with a leader, on `election.lead`: three workers (each its own client, as three
 * processes would be) run the leader loop; whoever leads hands out work (a plan written with the
 * term's fencing token) until its term ends. When the leader's process goes away (here: its
 * client closes, which revokes its session lease) the next candidate's `work` starts at once;
 * a worker stopped with its AbortSignal resigns and leaves the pool.
 *
 * Run: `npx tsx examples/worker-pool.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { connect, type Conclave, type Leadership } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const namespace = `examples/worker-pool/${process.pid}/`;
const text = new TextDecoder();

interface Worker {
  name: string;
  client: Conclave;
  stop: AbortController;
  /** The leader loop: resolves when stopped, rejects with ClosedError when the client closes. */
  loop: Promise<void>;
}

/** Terms started, in order: who led, with which fencing token. */
const terms: Array<{ name: string; token: bigint }> = [];
let onTerm: (() => void) | undefined;

async function startWorker(name: string): Promise<Worker> {
  const client = await connect({ endpoints: etcd.endpoints, namespace });
  const stop = new AbortController();
  const work = async (term: Leadership): Promise<void> => {
    console.log(`${name}: leading (term ${term.revision})`);
    terms.push({ name, token: term.revision });
    onTerm?.();
    // Leader work: publish the plan, fenced on this term, then keep leading until the term ends.
    await term.putIfHeld('plans/pool', JSON.stringify({ leader: name, term: String(term.revision), shards: [1, 2, 3] }));
    if (!term.signal.aborted) await new Promise((resolve) => term.signal.addEventListener('abort', resolve, { once: true }));
    console.log(`${name}: term ${term.revision} over (${(term.signal.reason as Error).name})`);
  };
  const loop = client.election('pool').lead(name, work, { signal: stop.signal, onError: (e) => console.log(`${name}: work failed:`, e) });
  return { name, client, stop, loop: loop.catch((e: unknown) => console.log(`${name}: loop ended: ${(e as Error).name}`)) };
}

/** Resolves when `n` terms have started. */
const termsReach = (n: number) =>
  new Promise<void>((resolve) => {
    const check = () => (terms.length >= n ? resolve() : (onTerm = check));
    check();
  });

const workers: Worker[] = [];
const observer = await connect({ endpoints: etcd.endpoints, namespace });
try {
  for (const name of ['worker-1', 'worker-2', 'worker-3']) workers.push(await startWorker(name));
  await termsReach(1);

  // The leader crashes (its client closes, so its lease is revoked): the next worker's work starts.
  const first = workers.find((w) => w.name === terms[0]!.name)!;
  console.log(`${first.name} crashes ...`);
  await first.client.close();
  await first.loop;
  await termsReach(2);

  // The new leader is stopped (deploy, scale-down): lead() resigns at once and resolves.
  const second = workers.find((w) => w.name === terms[1]!.name)!;
  console.log(`${second.name} is stopped ...`);
  second.stop.abort();
  await second.loop;
  await termsReach(3);

  const plan = await observer.get('plans/pool');
  console.log(`the plan in etcd: ${plan ? text.decode(plan.value) : '(none)'}`);
  const current = await observer.election('pool').leader();
  console.log(`leader() says: ${current ? text.decode(current.value) : '(none)'}, fencing token ${current?.revision}`);
  if (current?.revision !== terms[2]!.token) throw new Error('the observer should see the third term');
  if (!(terms[0]!.token < terms[1]!.token && terms[1]!.token < terms[2]!.token)) throw new Error('fencing tokens must increase');
} finally {
  for (const w of workers) w.stop.abort();
  await Promise.all(workers.map((w) => w.loop));
  await Promise.all(workers.map((w) => w.client.close()));
  await observer.close();
  await etcd.stop();
}
console.log(`terms: ${terms.map((t) => `${t.name}@${t.token}`).join(' -> ')}`);
console.log('worker-pool done');
