/**
 * A count trim rides on the next publish (one txn: its Put and the DeleteRange). When that txn's
 * reply is lost (applied or not sent), the publish rejects as "may or may not have been applied",
 * the trim is carried again by a later publish, the count bound holds, and a subscriber sees every
 * acknowledged message once, in order (real etcd, lossy transport over gRPC).
 */
import { afterEach, expect, it } from 'vitest';
import { connect, ConnectionError, createGrpcTransport, type Conclave, type TopicMessage } from '../../src/index.js';
import { lostReplyTransport } from '../harness/lost-reply.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';

const clients: Conclave[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

/** The carrying txn: it deletes a range besides its put. */
const carriesTrim = (request: unknown): boolean => ((request as { success?: Array<{ deleteRange?: unknown }> }).success ?? []).some((op) => op.deleteRange !== undefined);

for (const outcome of ['applied', 'not-sent'] as const) {
  it(`the publish carrying a trim loses its reply (${outcome}): rejected as unknown, trim carried again, bound held, no duplicate`, async () => {
    const namespace = uniquePrefix(`trim-carry-${outcome}`);
    const lossy = lostReplyTransport(createGrpcTransport({ endpoints: sharedCluster().endpoints }));
    const c = await connect({ transport: lossy, namespace });
    const reader = await connect({ endpoints: sharedCluster().endpoints, namespace });
    clients.push(c, reader);
    const retention = { maxMessages: 100 }; // slack 10: a publish returns with at most 110 + in flight stored
    const topic = c.topic<number>('t', { retention });
    const seen: TopicMessage<number>[] = [];
    const sub = reader.topic<number>('t', { retention }).messages$().subscribe((m) => seen.push(m));
    await topic.publish(-1); // the first publish (a txn of its own)
    const acked: number[] = [-1];
    lossy.arm({ method: 'txn', when: carriesTrim, outcome });
    let rejected: number | undefined;
    for (let i = 0; i < 400 && lossy.fired === 0; i++) {
      try {
        await topic.publish(i);
        acked.push(i);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectionError);
        expect(String((error as Error).message)).toMatch(/may or may not have been applied/);
        rejected = i;
      }
    }
    expect(lossy.fired).toBe(1);
    expect(rejected).toBeDefined();
    // 200 more, one at a time: trims keep riding on publishes (the lost one's is carried again), the bound holds throughout.
    let most = 0;
    for (let i = 1000; i < 1200; i++) {
      await topic.publish(i);
      acked.push(i);
      if (i % 10 === 0) most = Math.max(most, (await reader.getPrefix('__topics/t/', { keysOnly: true })).length);
    }
    expect(most).toBeLessThanOrEqual(retention.maxMessages + 10);
    expect((await reader.getPrefix('__topics/t/', { keysOnly: true })).length).toBeLessThanOrEqual(retention.maxMessages + 10);
    const last = acked[acked.length - 1]!;
    for (let t = Date.now(); !seen.some((m) => m.value === last) && Date.now() - t < 10_000; ) await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    const values = seen.map((m) => m.value);
    const at = acked.indexOf(rejected! - 1) + 1; // the lost publish came right after rejected - 1
    const expected = outcome === 'applied' ? [...acked.slice(0, at), rejected!, ...acked.slice(at)] : acked;
    expect(values).toEqual(expected); // every acknowledged message once, in order; the lost one once if applied
    const revisions = seen.map((m) => m.revision);
    expect([...revisions].sort((a, b) => (a < b ? -1 : 1))).toEqual(revisions);
  });
}
