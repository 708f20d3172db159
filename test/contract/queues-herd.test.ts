/**
 * Queues without a herd (issue 14, item 4): consumers of several clients
 * draining one queue do not race each other's txns. Counted with etcd's own
 * metrics (Txn RPCs handled, `grpc_server_handled_total{grpc_method="Txn"}`)
 * on a throwaway single member, so no other test's traffic is counted: the
 * floor is 2 txns per `dequeue()` (claim, then delete item and marker) and 2
 * per `claim()` + `ack()`; a herd (every consumer trying the same head item)
 * cost ~5 per item.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { startSingle, type EtcdCluster } from '../harness/index.js';
import { within } from './primitives-util.js';

const CONSUMERS = 4;
const N = 200;
/** Txns per item allowed on top of the floor: a few scans and lost races. */
const SLACK = 0.5;

describe('queues without a herd: 4 consumers draining N items', () => {
  let etcd: EtcdCluster;
  const opened: Conclave[] = [];

  beforeAll(async () => {
    etcd = await startSingle({ name: 'queues-herd' });
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    await etcd?.stop();
  });

  const txns = (): Promise<number> => etcd.members[0]!.metric('grpc_server_handled_total', { grpc_method: 'Txn' });

  /** N items in queue `name`, 4 consumer clients with their sessions open (not counted). */
  async function setup(name: string): Promise<Conclave[]> {
    const clients = await Promise.all(Array.from({ length: CONSUMERS + 1 }, () => connect({ endpoints: etcd.endpoints, namespace: 'herd/' })));
    opened.push(...clients);
    const producer = clients.pop()!.queue<number>(name);
    for (let i = 0; i < N; i++) await producer.enqueue(i);
    // Each client's session (lease and its marker watch) is opened by a claim released at once.
    for (const c of clients) await (await c.queue<number>(name).claim()).release();
    return clients;
  }

  /** Runs `take` on every consumer until N items were taken; resolves with what each consumer got. */
  async function drain(clients: Conclave[], take: (c: Conclave) => Promise<number>): Promise<number[]> {
    const got: number[] = [];
    await within(
      Promise.all(
        clients.map(async (c) => {
          while (got.length < N) {
            const value = await take(c).catch(() => undefined);
            if (value === undefined) return;
            got.push(value);
          }
        }),
      ),
      60_000,
      'draining the queue',
    );
    return got;
  }

  it(`dequeue(): at most ${2 + SLACK} txns per item, every item once`, async () => {
    const clients = await setup('dequeue');
    const before = await txns();
    const got = await drain(clients, (c) => c.queue<number>('dequeue').dequeue({ signal: AbortSignal.timeout(2_000) }));
    const spent = (await txns()) - before;
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(spent).toBeLessThanOrEqual((2 + SLACK) * N + CONSUMERS * 3); // + each consumer's final empty wait
  }, 90_000);

  it(`claim() + ack(): at most ${2 + SLACK} txns per item, every item once`, async () => {
    const clients = await setup('claims');
    const before = await txns();
    const got = await drain(clients, async (c) => {
      const claim = await c.queue<number>('claims').claim({ signal: AbortSignal.timeout(2_000) });
      await claim.ack();
      return claim.value;
    });
    const spent = (await txns()) - before;
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(spent).toBeLessThanOrEqual((2 + SLACK) * N + CONSUMERS * 3);
  }, 90_000);
});
