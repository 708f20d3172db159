/**
 * Issue 11, bug 9: barriers and double barriers whose client is cut off (a TCP relay in
 * blackhole mode) while another client moves the barriers on, writes, and compacts the history
 * the waits were watching. After the outage they read the current state and go on, instead of
 * rejecting with `CompactedError`. Runs on a single-member etcd of its own (compaction is
 * cluster-wide). One outage per transport serves every scenario (each outage lasts seconds: the
 * client must first notice that its watch stream went silent).
 */
import { filter } from 'rxjs';
import { afterAll, expect, it } from 'vitest';
import type { ConclaveClient } from '../../src/client/client.js';
import { connect, type Conclave, type DoubleBarrier } from '../../src/index.js';
import { pollUntil, startRelay, type Relay } from '../harness/index.js';
import { countBecomes, within } from './primitives-util.js';
import { describeContract } from './transports.js';

describeContract(
  'barriers across compaction during an outage',
  ({ transport, open, prefix, cluster }) => {
    const relays: Relay[] = [];
    const cutOff: Conclave[] = [];
    afterAll(async () => {
      await Promise.all(cutOff.map((c) => c.close()));
      await Promise.all(relays.map((r) => r.close()));
    });

    /** A client whose only way to etcd is a relay. */
    async function throughRelay(): Promise<{ client: Conclave; relay: Relay }> {
      const [endpoint] = await transport.endpointsFor(cluster());
      const url = /^(https?:\/\/)?(.+)$/.exec(endpoint!)!;
      const relay = await startRelay(url[2]!);
      relays.push(relay);
      const client = await connect({ endpoints: [`${url[1] ?? ''}${relay.address}`], transport: transport.name, namespace: prefix, sessionTtlSeconds: 60 });
      cutOff.push(client);
      return { client, relay };
    }

    /** Blackholes `relay` until `client` gave up its watch stream, runs `meanwhile`, compacts everything written so far, and restores. */
    async function outage(client: Conclave, relay: Relay, other: Conclave, meanwhile: () => Promise<void>): Promise<void> {
      const hub = (client as ConclaveClient).core.watchHub;
      const streams = hub.streamsOpened;
      let disconnected = false;
      const status = client.status$.pipe(filter((s) => s.state === 'disconnected')).subscribe(() => (disconnected = true));
      relay.cut('blackhole');
      try {
        await pollUntil(() => (disconnected || hub.streamsOpened > streams ? true : undefined), { timeoutMs: 30_000, intervalMs: 50, description: 'the cut-off client noticing' });
      } finally {
        status.unsubscribe();
      }
      await meanwhile();
      const { revision } = await other.put('filler', 'written while the client was cut off');
      await (other as ConclaveClient).core.transport.compact({ revision, physical: true });
      relay.restore();
    }

    /** Enters `first` then `second` (so `first` holds the lower key). */
    async function enterInOrder(c: Conclave, name: string, first: DoubleBarrier, second: DoubleBarrier): Promise<void> {
      const entering = [first.enter()];
      await countBecomes(async () => (await c.getPrefix(`${name}/waiters/`)).length, 1, `the first key of ${name}`);
      entering.push(second.enter());
      await within(Promise.all(entering), 10_000, `entering ${name}`);
    }

    // Over grpc-proxy this also covers etcd 3.4's proxy keeping the broadcast of a watcher resumed at a compacted
    // revision, which captured B's watchers of the same range (B's leave() never returned): the adapter never
    // sends such a create (adapters/grpc-proxy/watch-stream.ts).
    it('barrier.wait(), doubleBarrier.enter() and leave() (lowest or not) go on when what they watched was compacted while cut off', async () => {
      const { client: a, relay } = await throughRelay();
      const b = await open({ namespace: prefix });
      const watching = (n: number) => countBecomes(async () => a.stats().watchSubscribers, n, `${n} watch subscriptions on the cut-off client`);
      // Barriers: one released, one released and held again while cut off.
      await Promise.all([b.barrier('gate1').hold(), b.barrier('gate2').hold()]);
      const waits = [a.barrier('gate1').wait(), a.barrier('gate2').wait()];
      await watching(2);
      // Double barrier: A waits in enter(); B completes the round while A is cut off.
      const enterA = a.doubleBarrier('enter', 2);
      const enterB = b.doubleBarrier('enter', 2);
      const entering = enterA.enter();
      await countBecomes(async () => (await b.getPrefix('enter/waiters/')).length, 1, "A's key");
      await watching(4); // + the session marker watch
      // Double barriers: A waits in leave() (as the lowest, and not); B leaves while A is cut off.
      const leaves = await Promise.all(
        (['low', 'high'] as const).map(async (name) => {
          const A = a.doubleBarrier(name, 2);
          const B = b.doubleBarrier(name, 2);
          if (name === 'low') await enterInOrder(b, name, A, B);
          else await enterInOrder(b, name, B, A);
          return { name, A, B };
        }),
      );
      const leavingA = leaves.map(({ A }) => A.leave());
      await watching(6);

      let leavingB: Promise<void>[] = [];
      await outage(a, relay, b, async () => {
        await b.barrier('gate1').release();
        await b.barrier('gate2').release();
        await b.barrier('gate2').hold();
        await within(enterB.enter(), 10_000, 'B entering');
        leavingB = leaves.map(({ B }) => B.leave());
        await countBecomes(async () => (await b.getPrefix('low/waiters/')).length, 1, 'B gone from low');
        await within(leavingB[1]!, 10_000, 'B (the lowest) leaving high');
      });

      const outcome = async (what: string, p: Promise<void>) => [what, await within(p, 30_000, what).then(() => 'ok', (e: unknown) => String(e))];
      const results = await Promise.all([
        outcome('wait gate1', waits[0]!),
        outcome('wait gate2', waits[1]!),
        outcome('enter', entering),
        outcome('leave low (A lowest)', leavingA[0]!),
        outcome('leave high (A not lowest)', leavingA[1]!),
        outcome('B leaving low', leavingB[0]!),
      ]);
      expect(Object.fromEntries(results)).toEqual({
        'wait gate1': 'ok',
        'wait gate2': 'ok',
        enter: 'ok',
        'leave low (A lowest)': 'ok',
        'leave high (A not lowest)': 'ok',
        'B leaving low': 'ok',
      });
      await within(Promise.all([enterA.leave(), enterB.leave()]), 30_000, 'leaving enter');
      for (const name of ['enter', 'low', 'high']) expect(await b.getPrefix(`${name}/`)).toEqual([]);
      await b.barrier('gate2').release();
    });
  },
  { ownCluster: true },
);
