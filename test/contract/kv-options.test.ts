import { expect, it } from 'vitest';
import { AbortError, CompactedError, connect, InvalidArgumentError, TimeoutError, type Conclave } from '../../src/index.js';
import { gatewayPost } from '../harness/index.js';
import { adapterFor, holdingTransport, text } from './kv-helpers.js';
import { describeContract } from './transports.js';

describeContract('kv options', ({ client, raw, prefix, transport, cluster }) => {
  it('get and getPrefix read at a past revision', async () => {
    const c = await client();
    const r1 = await c.put('rev/a', '1');
    await c.put('rev/b', '1');
    await c.put('rev/a', '2');
    expect(text((await c.get('rev/a', { revision: r1.revision }))?.value)).toBe('1');
    expect(text((await c.get('rev/a'))?.value)).toBe('2');
    expect(text((await c.get('rev/a', { revision: 0n }))?.value)).toBe('2'); // 0n: the latest
    expect(await c.get('rev/b', { revision: r1.revision })).toBeUndefined();
    expect((await c.getPrefix('rev/', { revision: r1.revision })).map((kv) => [kv.key, text(kv.value)])).toEqual([['rev/a', '1']]);
  });

  it('getPrefix limit and keysOnly', async () => {
    const c = await client();
    for (const k of ['lim/c', 'lim/a', 'lim/d', 'lim/b']) await c.put(k, `value of ${k}`);
    expect((await c.getPrefix('lim/', { limit: 2 })).map((kv) => kv.key)).toEqual(['lim/a', 'lim/b']);
    expect((await c.getPrefix('lim/', { limit: 0 })).map((kv) => kv.key)).toEqual(['lim/a', 'lim/b', 'lim/c', 'lim/d']);
    const keys = await c.getPrefix('lim/', { keysOnly: true, limit: 3 });
    expect(keys.map((kv) => [kv.key, kv.value.length])).toEqual([['lim/a', 0], ['lim/b', 0], ['lim/c', 0]]);
    expect(keys.every((kv) => kv.modRevision > 0n && kv.version === 1n)).toBe(true);
  });

  it('refuses bad options before sending anything', async () => {
    const c = await client();
    const r = await raw();
    const before = await r.getPrefix(prefix);
    const refused = [
      c.get('k', { revision: -1n }),
      c.get('k', { revision: 3 as unknown as bigint }),
      c.get('k', 'now' as never),
      c.getPrefix('p/', { limit: -1 }),
      c.getPrefix('p/', { limit: 1.5 }),
      c.getPrefix('p/', { limit: 10n as unknown as number }),
      c.getPrefix('p/', { keysOnly: 'yes' as unknown as boolean }),
      c.getPrefix('p/', { revision: -5n }),
      c.put('k', 'v', { timeoutMs: -1 }),
      c.put('k', 'v', { timeoutMs: Number.NaN }),
      c.put('k', 'v', { signal: {} as AbortSignal }),
      c.put('k', 'v', { lease: 5 as unknown as bigint }),
      c.delete('k', { prefix: 'yes' as unknown as boolean }),
      c.delete('k', { timeoutMs: '5' as unknown as number }),
    ];
    for (const [i, call] of refused.entries()) await expect(call, `call ${i}`).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await r.getPrefix(prefix)).toEqual(before);
  });

  it('every KV call takes signal and timeoutMs: AbortError / TimeoutError, nothing written', async () => {
    const holding = holdingTransport(await adapterFor(transport, cluster()));
    const c: Conclave = await connect({ transport: holding, namespace: `${prefix}wait/` });
    try {
      await c.put('victim', 'kept');
      const calls = {
        get: (o: object) => c.get('victim', o),
        getPrefix: (o: object) => c.getPrefix('', o),
        put: (o: object) => c.put('fresh', 'x', o),
        delete: (o: object) => c.delete('victim', o),
        deletePrefix: (o: object) => c.delete('', { prefix: true, ...o }),
        txn: (o: object) => c.txn({ success: [{ put: { key: 'fresh', value: 'x' } }, { delete: { key: 'victim' } }] }, o),
      };
      for (const [name, call] of Object.entries(calls)) {
        await expect(call({ signal: AbortSignal.abort() }), `${name} aborted`).rejects.toBeInstanceOf(AbortError);
      }
      holding.hold('range', 'put', 'deleteRange', 'txn');
      for (const [name, call] of Object.entries(calls)) {
        await expect(call({ timeoutMs: 30 }), `${name} timeoutMs`).rejects.toBeInstanceOf(TimeoutError);
        const controller = new AbortController();
        const pending = call({ signal: controller.signal, timeoutMs: 60_000 });
        controller.abort();
        await expect(pending, `${name} signal`).rejects.toBeInstanceOf(AbortError);
        const reason = new TimeoutError('caller deadline');
        await expect(call({ signal: AbortSignal.abort(reason) }), `${name} typed reason`).rejects.toBe(reason);
      }
      expect(holding.waiting).toBe(0);
      holding.release();
      expect((await c.getPrefix('')).map((kv) => [kv.key, text(kv.value)])).toEqual([['victim', 'kept']]);
      // With room to finish, the same calls go through.
      expect((await c.put('fresh', 'y', { timeoutMs: 10_000, signal: new AbortController().signal })).revision).toBeGreaterThan(0n);
      expect(text((await c.get('fresh', { timeoutMs: 10_000 }))?.value)).toBe('y');
    } finally {
      await c.close();
    }
  });
});

describeContract(
  'kv options (compaction)',
  ({ client, cluster }) => {
    it('get and getPrefix at a compacted revision reject with CompactedError', async () => {
      const c = await client();
      const old = await c.put('cmp/k', 'a');
      const later = await c.put('cmp/k', 'b');
      await gatewayPost(cluster().clientUrls[0]!, '/v3/kv/compaction', { revision: later.revision.toString(), physical: true });
      const err = await c.get('cmp/k', { revision: old.revision }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompactedError);
      expect((err as CompactedError).retryable).toBe(false);
      await expect(c.getPrefix('cmp/', { revision: old.revision })).rejects.toBeInstanceOf(CompactedError);
      expect(text((await c.get('cmp/k', { revision: later.revision }))?.value)).toBe('b');
    });
  },
  { ownCluster: true },
);
