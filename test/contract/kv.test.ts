import { expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError } from '../../src/index.js';
import { describeContract } from './transports.js';

const dec = new TextDecoder();

describeContract('kv', ({ client, raw, prefix, open }) => {
  it('round-trips binary values and non-ASCII keys', async () => {
    const c = await client();
    const value = Uint8Array.from([0, 255, 1, 254, 0x80, 0xc3, 0x28]);
    const key = 'bin/ключ/🔑/\u0000end';
    const { revision } = await c.put(key, value);
    const kv = await c.get(key);
    expect(kv?.key).toBe(key);
    expect(Array.from(kv!.value)).toEqual(Array.from(value));
    expect(kv?.createRevision).toBe(revision);
    expect(kv?.modRevision).toBe(revision);
    expect(kv?.version).toBe(1n);
    expect(typeof kv?.lease).toBe('bigint');
  });

  it('get of a missing key resolves undefined', async () => {
    expect(await (await client()).get('nope/missing')).toBeUndefined();
  });

  it('getPrefix returns exactly the keys under the prefix, sorted', async () => {
    const c = await client();
    await c.put('p/b', '2');
    await c.put('p/a', '1');
    await c.put('p/c/d', '3');
    await c.put('p0', 'outside'); // the byte after '/' is '0'
    await c.put('q', 'outside');
    const kvs = await c.getPrefix('p/');
    expect(kvs.map((kv) => kv.key)).toEqual(['p/a', 'p/b', 'p/c/d']);
    expect(kvs.map((kv) => dec.decode(kv.value))).toEqual(['1', '2', '3']);
  });

  it('put returns increasing revisions and overwrites bump version', async () => {
    const c = await client();
    const r1 = await c.put('v', 'a');
    const r2 = await c.put('v', 'b');
    expect(r2.revision).toBeGreaterThan(r1.revision);
    const kv = await c.get('v');
    expect(kv?.version).toBe(2n);
    expect(kv?.createRevision).toBe(r1.revision);
    expect(dec.decode(kv!.value)).toBe('b');
  });

  it('delete removes one key, or every key under a prefix', async () => {
    const c = await client();
    await c.put('d/1', 'x');
    await c.put('d/2', 'x');
    await c.put('d/3', 'x');
    await c.put('dd', 'x');
    expect((await c.delete('d/1')).deleted).toBe(1);
    expect((await c.delete('d/1')).deleted).toBe(0);
    const res = await c.delete('d/', { prefix: true });
    expect(res.deleted).toBe(2);
    expect(typeof res.revision).toBe('bigint');
    expect(await c.get('dd')).toBeDefined();
  });

  it('refuses bad input before sending anything', async () => {
    const c = await client();
    const r = await raw();
    const before = await r.getPrefix(prefix);
    await expect(c.put('', 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.put(42 as unknown as string, 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.put('k', null as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.put('big', new Uint8Array(2 * 1024 * 1024))).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 'TOO_LARGE' });
    await expect(c.get('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.delete('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.put('k', 'v', { lease: -1n })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => c.watch('')).toThrow(InvalidArgumentError);
    expect(() => c.watch('k', { fromRevision: 0n })).toThrow(InvalidArgumentError);
    expect(() => c.namespace(7 as unknown as string)).toThrow(InvalidArgumentError);
    expect(await r.getPrefix(prefix)).toEqual(before);
  });

  it('after close() every call fails with ClosedError, and close is idempotent', async () => {
    const c = await open({ namespace: prefix });
    await c.close();
    await c.close();
    await expect(c.get('k')).rejects.toBeInstanceOf(ClosedError);
    await expect(c.put('k', 'v')).rejects.toBeInstanceOf(ClosedError);
    await expect(c.session()).rejects.toBeInstanceOf(ClosedError);
    await expect(new Promise((res, rej) => c.watch('k').subscribe({ next: res, error: rej }))).rejects.toBeInstanceOf(ClosedError);
  });
});
