/**
 * Queues under ambiguous outcomes (issue 11, bugs 4 and 5): a write whose
 * reply is lost after etcd applied it, and an abort that lands while a
 * write is in flight. Invariants: every item is delivered as documented
 * (nothing lost, nothing overwritten, nothing hidden, FIFO order kept) and
 * no claim marker is left behind.
 *
 * The faults are deterministic: {@link lostReplyTransport} loses the reply of
 * one chosen txn; a txn hook aborts the waiting call (or writes) exactly
 * while a chosen txn is in flight.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, ConnectionError, connect, createGrpcTransport, createHttpTransport, type Conclave } from '../../src/index.js';
import type { Transport, TxnRequest, TxnResponse } from '../../src/transport/index.js';
import { lostReplyTransport, type LossyTransport } from '../harness/lost-reply.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { countBecomes, revokeLease, sharedLease, within } from './primitives-util.js';

type Hook = (request: TxnRequest) => Promise<void> | void;

interface Hooked extends Transport {
  before?: Hook | undefined;
  after?: Hook | undefined;
  /** How many txns that delete only a claim marker (a give-back) etcd has answered. */
  readonly markerDrops: number;
}

/** Runs `before`/`after` around every txn (the txn is applied in between). */
function hookedTxns(inner: Transport): Hooked {
  const hooks: { before?: Hook | undefined; after?: Hook | undefined } = {};
  let markerDrops = 0;
  const txn = async (request: TxnRequest, options?: Parameters<Transport['txn']>[1]): Promise<TxnResponse> => {
    await hooks.before?.(request);
    const res = await inner.txn(request, options);
    if (deletesOnlyMarker(request)) markerDrops++;
    await hooks.after?.(request);
    return res;
  };
  return new Proxy(inner, {
    get(target, p) {
      if (p === 'txn') return txn;
      if (p === 'markerDrops') return markerDrops;
      if (p === 'before' || p === 'after') return hooks[p];
      const value: unknown = Reflect.get(target, p, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set(_target, p, value) {
      if (p !== 'before' && p !== 'after') return false;
      hooks[p] = value as Hook | undefined;
      return true;
    },
  }) as Hooked;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The stored keys a txn writes (puts and deletes of its success branch). */
function writes(request: unknown): string[] {
  const req = request as TxnRequest;
  return req.success.flatMap((op) => ('put' in op ? [text(op.put.key)] : 'deleteRange' in op ? [text(op.deleteRange.key)] : []));
}
const writesMarker = (r: unknown): boolean => writes(r).some((k) => k.includes('/__claims/'));
const putsMarker = (r: unknown): boolean => (r as TxnRequest).success.some((op) => 'put' in op && text(op.put.key).includes('/__claims/'));
const isItem = (key: string): boolean => !key.includes('/__claims/') && /\/q\/[0-9/]+$/.test(key);
const deletesItem = (r: unknown): boolean => (r as TxnRequest).success.some((op) => 'deleteRange' in op && isItem(text(op.deleteRange.key)));
const deletesOnlyMarker = (r: unknown): boolean => writes(r).length === 1 && writesMarker(r) && !putsMarker(r);

const transports = [
  { name: 'grpc', make: () => createGrpcTransport({ endpoints: sharedCluster().endpoints }) },
  { name: 'http', make: () => createHttpTransport({ endpoints: sharedCluster().clientUrls }) },
];

for (const { name, make } of transports) {
  describe(`queues under ambiguous outcomes [${name}]`, () => {
    const opened: Conclave[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.close()));
    });

    /** A namespaced client whose txns can be hooked and whose replies can be lost, and a plain one on the same prefix. */
    async function setup(): Promise<{ c: Conclave; lossy: LossyTransport; hooked: Hooked; plain: Conclave }> {
      const namespace = uniquePrefix(`queues-ambiguous-${name}`);
      const hooked = hookedTxns(make());
      const lossy = lostReplyTransport(hooked);
      const c = await connect({ transport: lossy, namespace });
      const plain = await connect({ transport: make(), namespace });
      opened.push(c, plain);
      return { c, lossy, hooked, plain };
    }

    /** Every item left in queue `q`, in order, taken through `client`; then checks that no item and no marker is left. */
    async function drain(client: Conclave, kind: 'fifo' | 'priority'): Promise<string[]> {
      // A give-back after an abort may still be under way: wait (bounded) until no marker is left.
      await countBecomes(async () => (await client.getPrefix('__claims/')).length, 0, 'no claim marker left', 10_000);
      const out: string[] = [];
      for (;;) {
        const left = await client.getPrefix('q/');
        if (left.length === 0) break;
        out.push(await within(kind === 'fifo' ? client.queue<string>('q').dequeue() : client.priorityQueue<string>('q').dequeue(), 10_000, 'a dequeue'));
      }
      expect(await client.getPrefix('__claims/')).toEqual([]);
      return out;
    }

    async function settle<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> {
      return within(
        p.then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
        15_000,
        'the call under test',
      );
    }

    for (const moment of ['first write', 'take'] as const) {
      it(`FIFO: a dequeue aborted during its ${moment} txn keeps a,b,c in order (bug 4)`, async () => {
        const { c, hooked, plain } = await setup();
        for (const v of ['a', 'b', 'c']) await plain.queue<string>('q').enqueue(v);
        const controller = new AbortController();
        let hits = 0;
        hooked.before = (req) => {
          const match = moment === 'take' ? deletesItem(req) : writes(req).length > 0;
          if (match && hits++ === 0) controller.abort();
        };
        const outcome = await settle(c.queue<string>('q').dequeue({ signal: controller.signal }));
        hooked.before = undefined;
        expect(hits).toBeGreaterThan(0);
        // An abort before the delete was sent rejects at once; the item claimed for it is given back after.
        if ('error' in outcome) await countBecomes(async () => Math.min(hooked.markerDrops, 1), 1, 'the give-back of the aborted claim', 10_000);
        const rest = await drain(plain, 'fifo');
        // Documented rule: an abort decided before the take was sent rejects and leaves the item in its place;
        // an abort that lands while the take is in flight is too late: the dequeue resolves with the item.
        if ('value' in outcome) expect([outcome.value, ...rest]).toEqual(['a', 'b', 'c']);
        else {
          expect(outcome.error).toBeInstanceOf(AbortError);
          expect(rest).toEqual(['a', 'b', 'c']);
        }
      });
    }

    it('priority queue: a dequeue aborted while its take is in flight never overwrites an item enqueued under the reused sequence key (bug 4)', async () => {
      const { c, hooked, plain } = await setup();
      const pq = plain.priorityQueue<string>('q');
      await pq.enqueue('x', 1);
      const controller = new AbortController();
      let hits = 0;
      let enqueued: Promise<void> | undefined;
      hooked.after = async (req) => {
        if (!deletesItem(req) || hits++ > 0) return;
        // The take was applied: abort the waiting call and enqueue y, which reuses x's sequence number.
        controller.abort();
        enqueued = pq.enqueue('y', 1);
        await enqueued;
      };
      const outcome = await settle(c.priorityQueue<string>('q').dequeue({ signal: controller.signal }));
      hooked.after = undefined;
      expect(hits).toBe(1);
      await within(enqueued!, 10_000, 'the enqueue of y');
      expect((await plain.getPrefix('q/')).length).toBeGreaterThan(0);
      const rest = await drain(plain, 'priority');
      const delivered = 'value' in outcome ? [outcome.value, ...rest] : rest;
      expect(delivered.sort()).toEqual(['x', 'y']);
    });

    it('a lost reply to the claim txn neither hides nor loses the item: claim() resolves with it, ack() leaves nothing (bug 5)', async () => {
      const { c, lossy, plain } = await setup();
      for (const v of ['a', 'b']) await plain.queue<string>('q').enqueue(v);
      lossy.arm({ method: 'txn', when: putsMarker });
      const claim = await within(c.queue<string>('q').claim(), 10_000, 'the claim after a lost reply');
      expect(lossy.fired).toBe(1);
      expect(claim.value).toBe('a');
      // Hidden from others while claimed, not lost: another consumer gets b.
      expect(await within(plain.queue<string>('q').dequeue(), 10_000, 'the next item')).toBe('b');
      await claim.ack();
      expect(await drain(plain, 'fifo')).toEqual([]);
    });

    it('a lost reply to the claim txn of a dequeue: the dequeue still gets the item, once', async () => {
      const { c, lossy, plain } = await setup();
      for (const v of ['a', 'b']) await plain.queue<string>('q').enqueue(v);
      lossy.arm({ method: 'txn', when: writesMarker });
      expect(await within(c.queue<string>('q').dequeue(), 10_000, 'the dequeue after a lost reply')).toBe('a');
      expect(lossy.fired).toBe(1);
      expect(await drain(plain, 'fifo')).toEqual(['b']);
    });

    it('a lost reply to the txn that deletes a dequeued item: the dequeue resolves with it, nothing is lost', async () => {
      const { c, lossy, plain } = await setup();
      for (const v of ['a', 'b']) await plain.queue<string>('q').enqueue(v);
      lossy.arm({ method: 'txn', when: deletesItem });
      expect(await within(c.queue<string>('q').dequeue(), 10_000, 'the dequeue after a lost reply')).toBe('a');
      expect(lossy.fired).toBe(1);
      expect(await drain(plain, 'fifo')).toEqual(['b']);
    });

    it('a lost reply to the delete of a dequeue, then the session lost: settled from history, the item is delivered', async () => {
      const { c, lossy, hooked, plain } = await setup();
      for (const v of ['a', 'b']) await plain.queue<string>('q').enqueue(v);
      const lease = await sharedLease(c);
      hooked.after = async (req) => {
        if (!deletesItem(req)) return;
        hooked.after = undefined;
        await revokeLease(sharedCluster(), lease); // the marker can no longer tell
      };
      lossy.arm({ method: 'txn', when: deletesItem });
      expect(await within(c.queue<string>('q').dequeue(), 10_000, 'the dequeue after a lost reply')).toBe('a');
      expect(lossy.fired).toBe(1);
      expect(await drain(plain, 'fifo')).toEqual(['b']);
    });

    it('negative control: a delete not applied while the claim went with its session and another consumer took the item: not delivered here', async () => {
      const { c, lossy, hooked, plain } = await setup();
      await plain.queue<string>('q').enqueue('a');
      const lease = await sharedLease(c);
      hooked.after = async (req) => {
        if (!putsMarker(req)) return;
        hooked.after = undefined;
        await revokeLease(sharedCluster(), lease);
        const [item] = await plain.getPrefix('q/');
        await plain.delete(item!.key); // taken by a consumer that ignores markers (Go's recipe)
        lossy.arm({ method: 'txn', when: deletesItem, outcome: 'not-sent' });
      };
      const dequeued = c.queue<string>('q').dequeue();
      await countBecomes(async () => lossy.fired, 1, 'the lost delete', 10_000);
      await plain.queue<string>('q').enqueue('b');
      expect(await within(dequeued, 10_000, 'the dequeue')).toBe('b');
      expect(await drain(plain, 'fifo')).toEqual([]);
    });

    it('a lost reply to ack() or release() converges: ack resolves and removes the item; release makes it visible at its place', async () => {
      const { c, lossy, plain } = await setup();
      for (const v of ['a', 'b', 'c']) await plain.queue<string>('q').enqueue(v);
      const q = c.queue<string>('q');
      const first = await q.claim();
      lossy.arm({ method: 'txn', when: deletesItem });
      await within(first.ack(), 10_000, 'ack after a lost reply');
      expect(lossy.fired).toBe(1);
      const second = await q.claim();
      expect(second.value).toBe('b');
      lossy.arm({ method: 'txn', when: deletesOnlyMarker });
      await within(second.release(), 10_000, 'release after a lost reply');
      expect(lossy.fired).toBe(2);
      expect(await drain(plain, 'fifo')).toEqual(['b', 'c']);
    });

    it('a claim aborted during its claim txn, whose give-back reply is lost too: the item stays first, no marker left', async () => {
      const { c, lossy, hooked, plain } = await setup();
      for (const v of ['a', 'b']) await plain.queue<string>('q').enqueue(v);
      const controller = new AbortController();
      hooked.before = (req) => {
        if (putsMarker(req) && !controller.signal.aborted) {
          controller.abort();
          lossy.arm({ method: 'txn', when: deletesOnlyMarker });
        }
      };
      const outcome = await settle(c.queue<string>('q').claim({ signal: controller.signal }));
      hooked.before = undefined;
      expect('error' in outcome && outcome.error).toBeInstanceOf(AbortError);
      await countBecomes(async () => Math.min(hooked.markerDrops, 1), 1, 'the give-back of the aborted claim', 10_000);
      expect(await drain(plain, 'fifo')).toEqual(['a', 'b']);
      expect(lossy.fired).toBe(1);
    });

    it('a lost reply to an enqueue rejects with a ConnectionError that says so; the item is in the queue once', async () => {
      const { c, lossy, plain } = await setup();
      lossy.arm({ method: 'txn', when: (r) => writes(r).some(isItem) });
      const err = await c
        .queue<string>('q')
        .enqueue('a')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/may or may not have been applied/);
      expect(await drain(plain, 'fifo')).toEqual(['a']);
    });
  });
}
