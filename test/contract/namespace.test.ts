import { expect, it } from 'vitest';
import { describeContract, firstN } from './transports.js';

const dec = new TextDecoder();

describeContract('namespace', ({ client, raw, prefix }) => {
  it('a put through namespace(a/) is stored as a/<key>', async () => {
    const c = await client();
    await c.namespace('a/').put('k', 'v');
    const stored = await (await raw()).get(`${prefix}a/k`);
    expect(stored && dec.decode(stored.value)).toBe('v');
  });

  it("getPrefix('') of a namespace never returns keys outside it", async () => {
    const c = await client();
    await c.put('a/x', '1');
    await c.put('a0', 'neighbour'); // sorts right after every a/ key
    await c.put('b/x', 'other');
    const inside = await c.namespace('a/').getPrefix('');
    expect(inside.map((kv) => kv.key)).toEqual(['k', 'x'].filter((k) => inside.some((kv) => kv.key === k)));
    expect(inside.every((kv) => !kv.key.startsWith('a') && !kv.key.startsWith('b'))).toBe(true);
    expect(inside.map((kv) => kv.key)).toContain('x');
  });

  it('nested namespaces compose', async () => {
    const c = await client();
    const nested = c.namespace('n1/').namespace('n2/');
    await nested.put('deep', 'yes');
    expect(dec.decode((await c.get('n1/n2/deep'))!.value)).toBe('yes');
    expect((await c.namespace('n1/').getPrefix('')).map((kv) => kv.key)).toEqual(['n2/deep']);
    expect((await nested.get('deep'))?.key).toBe('deep');
  });

  it('delete with prefix stays inside the namespace', async () => {
    const c = await client();
    await c.put('del/1', 'x');
    await c.put('del0', 'neighbour');
    const ns = c.namespace('del/');
    expect((await ns.delete('', { prefix: true })).deleted).toBe(1);
    expect(await c.get('del0')).toBeDefined();
  });

  it('watch through a namespace sees keys without the prefix and nothing outside', async () => {
    const c = await client();
    const ns = c.namespace('w/');
    const got = firstN(ns.watch('', { prefix: true }), 2);
    // Subscribed: writes after this point are seen.
    await c.put('w0', 'outside');
    await ns.put('one', '1');
    await c.put('w/two', '2');
    const events = await got;
    expect(events.map((e) => [e.type, e.key])).toEqual([
      ['put', 'one'],
      ['put', 'two'],
    ]);
  });

  it('namespaces share the client core: one server watcher for the same stored key', async () => {
    const c = await client();
    const before = c.stats().serverWatchers;
    const s1 = c.namespace('s/').watch('k').subscribe();
    const s2 = c.watch('s/k').subscribe();
    expect(c.stats().serverWatchers).toBe(before + 1);
    s1.unsubscribe();
    s2.unsubscribe();
    expect(c.stats().serverWatchers).toBe(before);
  });
});
