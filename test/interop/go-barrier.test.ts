/**
 * Interop with etcd's real Go client, both ways, over every Conclave transport: a barrier
 * (`recipe.NewBarrier`) held and released on one side holds and releases waiters on the other.
 *
 * Each block runs on a single-member cluster of its own: etcd 3.4's Go `Barrier.Wait` watches
 * for a put then a delete from the revision of its read, so it never returns when any other
 * write moved the revision between the `Hold` and that read (etcd-io/etcd#16223, fixed after
 * 3.4.23). On a quiet cluster the hold's revision is the read's, and Go's `Wait` works.
 */
import { expect, it } from 'vitest';
import { ChildRequestError } from './go-driver.js';
import { describeGoInterop, goDid, goEvent, roundTrips, track } from './go-interop.js';

describeGoInterop(
  'go interop barrier',
  ({ client, go, name }) => {
    it('Conclave holds, a Go waiter waits until Conclave releases', async () => {
      const c = await client();
      const b = name('barrier');
      await c.barrier(b).hold();
      const waits = go().call('barrier.wait', { obj: `${b}-g`, name: b });
      await roundTrips(c, 5);
      expect(goDid(go(), 'barrier.wait', `${b}-g`)).toBe(false);
      await c.barrier(b).release();
      await waits.result;
      expect(await c.get(b)).toBeUndefined();
    });

    it('Go holds, a Conclave waiter waits until Go releases; holding twice fails in Go, is a no-op in Conclave', async () => {
      const c = await client();
      const b = name('barrier');
      await go().request('barrier.hold', { name: b });
      const held = await c.get(b);
      expect(held?.value.length).toBe(0); // Go writes an empty value, as Conclave does
      await c.barrier(b).hold();
      expect((await c.get(b))?.modRevision).toBe(held?.modRevision);
      await expect(go().request('barrier.hold', { name: b })).rejects.toThrow(ChildRequestError);
      const waiting = track(c.barrier(b).wait());
      await roundTrips(c, 5);
      expect(waiting.settled()).toBe(false);
      await go().request('barrier.release', { name: b });
      await waiting.promise;
      await go().request('barrier.wait', { obj: `${b}-g`, name: b }); // released: returns at once
      await goEvent(go(), 'barrier.wait', { obj: `${b}-g` });
    });
  },
  { ownCluster: true },
);
