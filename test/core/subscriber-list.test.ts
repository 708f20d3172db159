import { describe, expect, it } from 'vitest';
import { SubscriberList } from '../../src/core/subscriber-list.js';
import { Batch, Subscription, type Sink } from '../../src/core/broadcast.js';

interface Item {
  slot: number;
  name: string;
}

const item = (name: string): Item => ({ slot: -1, name });
const names = (list: SubscriberList<Item>): string[] => [...list].map((i) => i.name);

describe('SubscriberList (pure)', () => {
  it('keeps subscription order with O(1) add and delete, like a Set', () => {
    const list = new SubscriberList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    list.add(a).add(b).add(c).add(b); // adding twice keeps one entry in its place
    expect(names(list)).toEqual(['a', 'b', 'c']);
    expect(list.size).toBe(3);
    expect(list.delete(b)).toBe(true);
    expect(list.delete(b)).toBe(false);
    expect(list.has(b)).toBe(false);
    expect(names(list)).toEqual(['a', 'c']);
    list.add(b);
    expect(names(list)).toEqual(['a', 'c', 'b']);
    list.clear();
    expect(list.size).toBe(0);
    expect(names(list)).toEqual([]);
    expect(a.slot).toBe(-1);
  });

  it('does not mistake an item of another list for its own (slots are checked)', () => {
    const one = new SubscriberList<Item>();
    const two = new SubscriberList<Item>();
    const a = item('a');
    const b = item('b');
    one.add(a);
    two.add(b);
    expect(one.has(b)).toBe(false);
    expect(one.delete(b)).toBe(false);
    expect(two.has(b)).toBe(true);
  });

  it('compacts holes, keeping the order, and slots stay right for later deletes', () => {
    const list = new SubscriberList<Item>();
    const items = Array.from({ length: 200 }, (_, i) => item(String(i)));
    for (const i of items) list.add(i);
    for (const i of items) if (Number(i.name) % 3 !== 0) list.delete(i);
    const kept = items.filter((i) => Number(i.name) % 3 === 0);
    expect(names(list)).toEqual(kept.map((i) => i.name));
    expect(list.size).toBe(kept.length);
    for (const i of kept) expect(list.has(i)).toBe(true);
    for (const i of kept.slice(0, 10)) expect(list.delete(i)).toBe(true);
    expect(names(list)).toEqual(kept.slice(10).map((i) => i.name));
  });

  it('tolerates deletes and adds made while iterating (visits added items, skips deleted ones, compacts after)', () => {
    const list = new SubscriberList<Item>();
    const items = Array.from({ length: 100 }, (_, i) => item(String(i)));
    for (const i of items) list.add(i);
    const late = item('late');
    const seen: string[] = [];
    list.forEachLive((i) => {
      seen.push(i.name);
      if (i.name === '0') for (const j of items.slice(1, 80)) list.delete(j); // far more holes than items: no compaction yet
      if (i.name === '99') list.add(late);
    });
    expect(seen).toEqual(['0', ...items.slice(80).map((i) => i.name), 'late']);
    expect(names(list)).toEqual(['0', ...items.slice(80).map((i) => i.name), 'late']);
    for (const i of [...list]) expect(list.delete(i)).toBe(true);
    expect(list.size).toBe(0);
  });

  it('stops an iteration running when cleared', () => {
    const list = new SubscriberList<Item>();
    for (const name of ['a', 'b', 'c']) list.add(item(name));
    const seen: string[] = [];
    for (const i of list) {
      seen.push(i.name);
      list.clear();
    }
    expect(seen).toEqual(['a']);
  });
});

describe('Subscription (pure)', () => {
  const sink = (): Sink & { got: bigint[] } => {
    const got: bigint[] = [];
    return { prefixLength: 0, got, next: (b) => got.push(b.revision), error: () => undefined, complete: () => undefined };
  };

  it('packs its flags and delivers each revision once, in order, never after closing', () => {
    const s = sink();
    const sub = new Subscription(s, 5n, true, false);
    expect([sub.live, sub.keeper, sub.confirmed, sub.closed]).toEqual([true, false, false, false]);
    sub.confirmed = true;
    expect([sub.live, sub.keeper, sub.confirmed, sub.closed]).toEqual([true, false, true, false]);
    for (const r of [4n, 5n, 6n, 6n, 8n, 7n]) sub.deliver(new Batch(r, []));
    expect(s.got).toEqual([6n, 8n]);
    sub.closed = true;
    sub.deliver(new Batch(9n, []));
    expect(s.got).toEqual([6n, 8n]);
    expect([sub.live, sub.confirmed, sub.closed]).toEqual([true, true, true]);
    const keeper = new Subscription(s, 0n, false, true);
    expect([keeper.live, keeper.keeper]).toEqual([false, true]);
  });

  it('is its own teardown: unsubscribe() asks its owner to end it', () => {
    const released: Subscription[] = [];
    const sub = new Subscription(sink(), 0n, true, false, { unsubscribe: (x) => released.push(x) });
    sub.unsubscribe();
    expect(released).toEqual([sub]);
    new Subscription(sink(), 0n, true).unsubscribe(); // none given: nothing happens
  });

  it('a batch view is converted once per namespace depth and shared', () => {
    const batch = new Batch(3n, []);
    let conversions = 0;
    const convert = (): number => ++conversions;
    const v0 = batch.view(0, convert);
    expect(batch.view(0, convert)).toBe(v0);
    const v4 = batch.view(4, convert);
    expect(batch.view(4, convert)).toBe(v4);
    expect(batch.view(0, convert)).toBe(v0);
  });
});
