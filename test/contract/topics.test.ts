/**
 * Topics: every subscriber gets every message published after it subscribed,
 * once, in revision order; subscribers of a client share one server watcher;
 * replay; retention bounds; decode failures stay with their subscriber.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { DecodeError, InvalidArgumentError, type Codec, type TopicMessage } from '../../src/index.js';
import { countBecomes, within } from './primitives-util.js';
import { describeContract, firstN } from './transports.js';

const strict: Codec<string> = {
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => {
    const v = JSON.parse(new TextDecoder().decode(b)) as string;
    if (v === 'bad') throw new Error('strict codec refuses "bad"');
    return v;
  },
};

describeContract('topics', ({ client, open, prefix }) => {
  const openNs = () => open({ namespace: prefix });

  it('3 publishers x 1,000 messages, 5 subscribers on 2 clients: all 3,000 each, in revision order, once, one watcher per client', async () => {
    const publishers = await Promise.all(Array.from({ length: 3 }, () => openNs()));
    const subClients = [await openNs(), await openNs()];
    const perPublisher = 1000;
    const total = perPublisher * publishers.length;
    const received = Array.from({ length: 5 }, (_, i) =>
      firstN(subClients[i % 2]!.topic<{ p: number; i: number }>('fanout').messages$(), total, 170_000),
    );
    expect(subClients.map((c) => c.stats().serverWatchers)).toEqual([1, 1]);
    expect(subClients.map((c) => c.stats().watchSubscribers)).toEqual([3, 2]);
    const published = await within(
      Promise.all(
        publishers.map(async (c, p) => {
          const topic = c.topic<{ p: number; i: number }>('fanout');
          const revisions: bigint[] = [];
          for (let i = 0; i < perPublisher; i++) revisions.push((await topic.publish({ p, i })).revision);
          return revisions;
        }),
      ),
      170_000,
      'publishing',
    );
    const allRevisions = published.flat().sort((a, b) => (a < b ? -1 : 1));
    expect(new Set(allRevisions).size).toBe(total);
    for (const messages of await Promise.all(received)) {
      expect(messages.map((m) => m.revision)).toEqual(allRevisions);
      expect(messages.every((m) => m.topic === 'fanout')).toBe(true);
      for (let p = 0; p < publishers.length; p++) {
        const mine = messages.filter((m) => m.value.p === p);
        expect(mine.map((m) => m.value.i)).toEqual(Array.from({ length: perPublisher }, (_, i) => i));
        expect(mine.map((m) => m.revision)).toEqual(published[p]);
      }
    }
    await countBecomes(async () => subClients[0]!.stats().serverWatchers + subClients[1]!.stats().serverWatchers, 0, 'watchers released');
  }, 180_000);

  it('messages$({ fromRevision }) replays the history from that revision, then continues live', async () => {
    const c = await client();
    const topic = c.topic<number>('replay');
    const revisions: bigint[] = [];
    for (let i = 0; i < 5; i++) revisions.push((await topic.publish(i)).revision);
    const got = firstN((await openNs()).topic<number>('replay').messages$({ fromRevision: revisions[2]! }), 4);
    const live = await topic.publish(5);
    const messages = await got;
    expect(messages.map((m) => m.value)).toEqual([2, 3, 4, 5]);
    expect(messages.map((m) => m.revision)).toEqual([...revisions.slice(2), live.revision]);
  });

  it('a live subscriber does not get messages published before it subscribed', async () => {
    const c = await client();
    const topic = c.topic<string>('live-only');
    await topic.publish('before');
    const got = firstN(topic.messages$(), 1);
    await topic.publish('after');
    expect((await got).map((m) => m.value)).toEqual(['after']);
  });

  it('retention by count: the stored keys stay within maxMessages + 10% and keep the newest', async () => {
    const c = await client();
    const topic = c.topic<number>('bounded', { retention: { maxMessages: 50 } });
    let max = 0;
    for (let i = 0; i < 300; i++) {
      await topic.publish(i);
      if (i % 10 === 9) max = Math.max(max, (await c.getPrefix('__topics/bounded/')).length);
    }
    const kept = await c.getPrefix('__topics/bounded/');
    expect(max).toBeLessThanOrEqual(55);
    expect(kept.length).toBeGreaterThanOrEqual(50);
    expect(kept.length).toBeLessThanOrEqual(55);
    const values = kept.map((kv) => JSON.parse(new TextDecoder().decode(kv.value)) as number).sort((a, b) => a - b);
    expect(values.at(-1)).toBe(299);
    expect(values[0]).toBe(300 - kept.length);
    for (const kv of kept) expect(kv.key).toMatch(/^__topics\/bounded\/[0-9]{15}-[0-9a-f]{16}$/);
  });

  it('retention by age: a publish deletes the messages older than maxAgeMs (default 24 h)', async () => {
    const c = await client();
    const topic = c.topic<string>('aged');
    await c.put('__topics/aged/000000000000001-0123456789abcdef', JSON.stringify('ancient'));
    const recent = `__topics/aged/${String(Date.now() - 60_000).padStart(15, '0')}-0123456789abcdef`;
    await c.put(recent, JSON.stringify('a minute ago'));
    await topic.publish('now');
    const keys = (await c.getPrefix('__topics/aged/')).map((kv) => kv.key);
    expect(keys).toHaveLength(2);
    expect(keys).toContain(recent);
  });

  it('a value one subscriber cannot decode errors (or is skipped for) that subscriber only; the shared watcher goes on', async () => {
    const c = await openNs();
    const erroring = c.topic('decode', { codec: strict }).messages$();
    const skipping = c.topic('decode', { codec: strict }).messages$({ onDecodeError: 'skip' });
    const plain = c.topic<string>('decode').messages$();
    const errored = firstValueFrom(erroring.pipe(toArray(), timeout(20_000))).then(
      () => undefined,
      (e: unknown) => e,
    );
    const seenBeforeError: string[] = [];
    erroring.subscribe({ next: (m) => seenBeforeError.push(m.value), error: () => undefined });
    const skipped = firstN(skipping, 2);
    const all = firstN(plain, 4);
    expect(c.stats().serverWatchers).toBe(1);
    const publisher = (await client()).topic<string>('decode');
    await publisher.publish('ok1');
    const bad = await publisher.publish('bad');
    await publisher.publish('ok2');
    await publisher.publish('ok3');
    const error = await errored;
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).revision).toBe(bad.revision);
    expect(new TextDecoder().decode((error as DecodeError).bytes)).toBe('"bad"');
    expect(seenBeforeError).toEqual(['ok1']);
    expect((await skipped).map((m) => m.value)).toEqual(['ok1', 'ok2']);
    expect((await all).map((m: TopicMessage<string>) => m.value)).toEqual(['ok1', 'bad', 'ok2', 'ok3']);
  });

  it('bytes that are not JSON reach a default subscriber as DecodeError, or are skipped with onDecodeError: skip', async () => {
    const c = await client();
    const errored = firstValueFrom(c.topic('garbage').messages$().pipe(take(2), timeout(20_000))).catch((e: unknown) => e);
    const skipping = firstN(c.topic('garbage').messages$({ onDecodeError: 'skip' }), 1);
    await c.put('__topics/garbage/000000000000002-0123456789abcdef', 'not json');
    await c.topic('garbage').publish({ fine: true });
    expect(await errored).toBeInstanceOf(DecodeError);
    expect((await skipping).map((m) => m.value)).toEqual([{ fine: true }]);
  });

  it('refuses bad input before writing: unencodable or too large values, bad options', async () => {
    const c = await client();
    const topic = c.topic('refused');
    await expect(topic.publish(undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(topic.publish(() => 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(topic.publish('x'.repeat(2 * 1024 * 1024))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.getPrefix('__topics/refused/')).toEqual([]);
    expect(() => c.topic('')).toThrow(InvalidArgumentError);
    expect(() => c.topic('r', { retention: { maxMessages: 0 } })).toThrow(InvalidArgumentError);
    expect(() => c.topic('r', { retention: { maxMessages: Infinity, maxAgeMs: Infinity } })).toThrow(InvalidArgumentError);
    expect(() => topic.messages$({ fromRevision: 0n })).toThrow(InvalidArgumentError);
    expect(() => topic.messages$({ fromRevision: 5 as unknown as bigint })).toThrow(InvalidArgumentError);
    expect(() => topic.messages$({ onDecodeError: 'ignore' as 'skip' })).toThrow(InvalidArgumentError);
  });

  it('topics `a` and `a/b` are separate', async () => {
    const c = await client();
    const a = firstN(c.topic<string>('nest').messages$(), 1);
    await c.topic<string>('nest/b').publish('inner');
    await c.topic<string>('nest0').publish('sibling');
    await c.topic<string>('nest').publish('outer');
    expect((await a).map((m) => m.value)).toEqual(['outer']);
  });

  it('a subscription completes when the client closes', async () => {
    const c = await openNs();
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      c.topic('closing').messages$().subscribe({ next: (m) => seen.push(m.value), error: reject, complete: resolve });
    });
    await c.topic('closing').publish('one');
    await countBecomes(async () => seen.length, 1, 'the message');
    await c.close();
    await within(done, 10_000, 'completion');
    expect(seen).toEqual(['one']);
  });
});
