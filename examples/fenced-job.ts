/**
 * A job guarded by a lock, with fencing. Whoever holds the `reports` lock
 * writes the report to a store; every write carries the lock's fencing token
 * (its key's create revision, strictly increasing per acquisition), and the
 * store refuses a token lower than the highest it has accepted. So a worker
 * that lost its lock while it was stalled (a long GC pause, a partition)
 * cannot overwrite the work of the worker that holds the lock now.
 *
 * Run: `npx tsx examples/fenced-job.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { connect } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

/** A store outside etcd (a database, a bucket) that remembers the highest fencing token per resource. */
class FencedStore {
  private readonly highest = new Map<string, bigint>();
  readonly data = new Map<string, string>();

  write(resource: string, value: string, token: bigint): void {
    const seen = this.highest.get(resource) ?? 0n;
    if (token < seen) throw new StaleTokenRejection(`token ${token} is older than ${seen}`);
    this.highest.set(resource, token);
    this.data.set(resource, value);
  }
}
class StaleTokenRejection extends Error {}

const etcd = await exampleEtcd();
const namespace = `examples/fenced-job/${process.pid}/`;
const store = new FencedStore();
const workerA = await connect({ endpoints: etcd.endpoints, namespace });
const workerB = await connect({ endpoints: etcd.endpoints, namespace });
const operator = await connect({ endpoints: etcd.endpoints, namespace });
try {
  // A takes the lock and starts the job.
  const lockA = await workerA.mutex('reports').acquire();
  console.log(`A: holds the lock, fencing token ${lockA.fencingToken}`);
  store.write('report', 'A: part 1', lockA.fencingToken);
  lockA.signal.addEventListener('abort', () => console.log(`A: (its lock.signal aborted: ${(lockA.signal.reason as Error).name})`), { once: true });

  // A stalls. Meanwhile its lock goes away behind its back — here an operator deletes the
  // lock key; an expired lease (A's process frozen past its TTL) has the same effect.
  console.log('A: ... stalls (long GC pause) ...');
  const { deleted } = await operator.delete(lockA.key);
  console.log(`operator: deleted ${deleted} lock key (${lockA.key})`);

  // B gets the lock with a higher token and writes.
  await workerB.mutex('reports').withLock(async (lockB) => {
    console.log(`B: holds the lock, fencing token ${lockB.fencingToken}`);
    store.write('report', 'B: the whole report', lockB.fencingToken);
    console.log('B: wrote the report');
  });

  // A wakes up and, not having looked at its lock, writes with its old token: refused.
  try {
    store.write('report', 'A: part 2 (stale!)', lockA.fencingToken);
    throw new Error('the store accepted a stale token');
  } catch (e) {
    if (!(e instanceof StaleTokenRejection)) throw e;
    console.log(`store: refused A's write: ${e.message}`);
  }
  // Had A checked, it would have known: its lock is lost.
  console.log(`A: lock.signal.aborted = ${lockA.signal.aborted}; writes through etcd (putIfHeld) are fenced too:`);
  await lockA.putIfHeld('report-status', 'A was here').then(
    () => {
      throw new Error('putIfHeld should have failed');
    },
    (e: Error) => console.log(`A: putIfHeld rejected with ${e.name}`),
  );
  await lockA.release();
  console.log(`the report is: "${store.data.get('report')}"`);
} finally {
  await Promise.all([workerA.close(), workerB.close(), operator.close()]);
  await etcd.stop();
}
console.log('fenced-job done');
