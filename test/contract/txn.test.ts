import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { AbortError, connect, InvalidArgumentError, TimeoutError, type Compare, type KeyValue, type TxnSpec } from '../../src/index.js';
import { adapterFor, bytes, holdingTransport, isPlainBytes, text } from './kv-helpers.js';
import { describeContract } from './transports.js';

describeContract('txn', ({ client, raw, prefix, open, transport, cluster }) => {
  it('compare-and-swap takes the success branch when the compare holds, the failure branch when not', async () => {
    const c = await client();
    await c.put('cas', 'a');
    const swap: TxnSpec = {
      compare: [{ key: 'cas', target: 'value', op: '==', operand: 'a' }],
      success: [{ put: { key: 'cas', value: 'b' } }],
      failure: [{ get: { key: 'cas' } }],
    };
    const won = await c.txn(swap);
    expect(won.succeeded).toBe(true);
    expect(won.results).toEqual([{ type: 'put', revision: won.revision }]);
    expect((await c.get('cas'))?.modRevision).toBe(won.revision);

    const lost = await c.txn(swap);
    expect(lost.succeeded).toBe(false);
    expect(lost.revision).toBeGreaterThanOrEqual(won.revision); // the store's revision (other files write too)
    expect(lost.results).toHaveLength(1);
    const r = lost.results[0]!;
    expect(r.type).toBe('get');
    const kvs = (r as { kvs: KeyValue[] }).kvs;
    expect(kvs.map((kv) => [kv.key, text(kv.value)])).toEqual([['cas', 'b']]);
    const after = await c.get('cas');
    expect([text(after?.value), after?.modRevision]).toEqual(['b', won.revision]); // nothing written
  });

  it('every compare target and operator', async () => {
    const c = await client();
    const session = await c.session();
    await c.put('cmp', 'x');
    await c.put('cmp', 'm', { lease: session.lease });
    const kv = (await c.get('cmp'))!;
    expect(kv.lease).toBe(session.lease);
    const actual: Record<Exclude<Compare['target'], 'value'>, bigint> = {
      version: kv.version,
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      lease: kv.lease,
    };
    const holds = (cmp: number, op: Compare['op']): boolean =>
      op === '==' ? cmp === 0 : op === '!=' ? cmp !== 0 : op === '<' ? cmp < 0 : cmp > 0;
    const ops: Compare['op'][] = ['==', '!=', '<', '>'];
    const cases: Array<{ compare: Compare; expected: boolean }> = [];
    for (const [target, value] of Object.entries(actual) as Array<[Compare['target'], bigint]>) {
      for (const op of ops) {
        for (const delta of [-1n, 0n, 1n]) {
          // key's target `op` operand: actual - operand = -delta
          cases.push({ compare: { key: 'cmp', target, op, operand: value + delta }, expected: holds(-Number(delta), op) });
        }
      }
    }
    for (const op of ops) {
      for (const [operand, cmp] of [['l', 1], ['m', 0], ['n', -1], [bytes('m'), 0]] as const) {
        cases.push({ compare: { key: 'cmp', target: 'value', op, operand }, expected: holds(cmp, op) });
      }
    }
    const seen = await Promise.all(cases.map(async ({ compare }) => (await c.txn({ compare: [compare] })).succeeded));
    expect(seen).toEqual(cases.map((k) => k.expected));
    // A missing key: version, revisions and lease are 0; a value compare never holds.
    const missing = async (compare: Compare) => (await c.txn({ compare: [compare] })).succeeded;
    expect(await missing({ key: 'nope', target: 'version', op: '==', operand: 0n })).toBe(true);
    expect(await missing({ key: 'nope', target: 'createRevision', op: '==', operand: 0n })).toBe(true);
    expect(await missing({ key: 'nope', target: 'value', op: '!=', operand: 'x' })).toBe(false);
    await session.close();
  });

  it('get and delete by prefix inside a txn; results in order, keys relative to the namespace', async () => {
    const c = await client();
    for (const k of ['tp/1', 'tp/2', 'tp/3', 'tp0']) await c.put(k, `v${k}`);
    const res = await c.txn({
      success: [
        { get: { key: 'tp/', prefix: true } },
        { delete: { key: 'tp/', prefix: true } },
        { get: { key: 'tp/', prefix: true } },
        { put: { key: 'tq', value: 'n' } },
        { get: { key: 'tp0' } },
        { delete: { key: 'tp/none' } },
      ],
    });
    expect(res.succeeded).toBe(true);
    const [got, deleted, after, put, single, none] = res.results;
    expect((got as { kvs: KeyValue[] }).kvs.map((kv) => kv.key)).toEqual(['tp/1', 'tp/2', 'tp/3']);
    expect(deleted).toEqual({ type: 'delete', deleted: 3 });
    expect(after).toEqual({ type: 'get', kvs: [] });
    expect(put).toEqual({ type: 'put', revision: res.revision });
    const kv = (single as { kvs: KeyValue[] }).kvs[0]!;
    expect(kv.key).toBe('tp0');
    expect(text(kv.value)).toBe('vtp0');
    for (const f of ['createRevision', 'modRevision', 'version', 'lease'] as const) expect(typeof kv[f]).toBe('bigint');
    expect(none).toEqual({ type: 'delete', deleted: 0 });
    expect((await c.getPrefix('t')).map((k) => k.key)).toEqual(['tp0', 'tq']);
  });

  it('keys are in the client namespace; namespaces compose and isolate', async () => {
    const base = await client();
    const a = base.namespace('ns-a/');
    const ab = a.namespace('b/');
    const other = base.namespace('ns-x/');
    const res = await ab.txn({
      compare: [{ key: 'k', target: 'version', op: '==', operand: 0n }],
      success: [{ put: { key: 'k', value: '1' } }, { get: { key: '', prefix: true } }],
    });
    expect(res.succeeded).toBe(true);
    expect((res.results[1] as { kvs: KeyValue[] }).kvs.map((kv) => kv.key)).toEqual(['k']);
    expect(text((await (await raw()).get(`${prefix}ns-a/b/k`))?.value)).toBe('1');
    // Seen from the outer namespace with its prefix, invisible from a sibling.
    const outer = await a.txn({ success: [{ get: { key: 'b/', prefix: true } }] });
    expect((outer.results[0] as { kvs: KeyValue[] }).kvs.map((kv) => kv.key)).toEqual(['b/k']);
    const sibling = await other.txn({
      compare: [{ key: 'k', target: 'version', op: '>', operand: 0n }],
      success: [{ get: { key: '', prefix: true } }],
      failure: [{ get: { key: '', prefix: true } }, { delete: { key: '', prefix: true } }],
    });
    expect(sibling.succeeded).toBe(false);
    expect(sibling.results).toEqual([{ type: 'get', kvs: [] }, { type: 'delete', deleted: 0 }]);
    expect(await ab.get('k')).toBeDefined();
  });

  it('refuses bad input before sending anything', async () => {
    const c = await client();
    const r = await raw();
    const before = await r.getPrefix(prefix);
    const put = { put: { key: 'bad', value: 'x' } };
    const bad: unknown[] = [
      null,
      { compare: 'x' },
      { success: {} },
      { compare: [{ key: 'bad', target: 'value', op: '=~', operand: 'x' }], success: [put] },
      { compare: [{ key: 'bad', target: 'size', op: '==', operand: 1n }], success: [put] },
      { compare: [{ key: 'bad', target: 'version', op: '==', operand: 1 }], success: [put] },
      { compare: [{ key: 'bad', target: 'version', op: '==', operand: -1n }], success: [put] },
      { compare: [{ key: 'bad', target: 'value', op: '==', operand: 1n }], success: [put] },
      { compare: [{ key: '', target: 'version', op: '==', operand: 0n }], success: [put] },
      { success: [put, { put: { key: '', value: 'x' } }] },
      { success: [put, { put: { key: 'k', value: 3 } }] },
      { success: [put, { put: { key: 'k', value: 'v', lease: -2n } }] },
      { success: [put, { get: { key: 'k' }, delete: { key: 'k' } }] },
      { success: [put, {}] },
      { success: [put, { get: { key: '' } }] },
      { success: [put, { delete: { key: 'k', prefix: 'yes' } }] },
      { success: [put], failure: [{ put: { key: 'big', value: new Uint8Array(2 * 1024 * 1024) } }] },
    ];
    for (const [i, spec] of bad.entries()) await expect(c.txn(spec as TxnSpec), `bad[${i}]`).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.txn({ success: [put] }, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.txn({ success: [put] }, { signal: 'no' as unknown as AbortSignal })).rejects.toBeInstanceOf(InvalidArgumentError);
    // etcd refuses a branch writing one key twice, or a key one of its deletes covers.
    await expect(c.txn({ success: [put, put] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.txn({ success: [{ delete: { key: 'b', prefix: true } }, put] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.txn({ success: [put, { delete: { key: 'bad' } }] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.txn({ success: [put, { delete: { key: '', prefix: true } }] })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await r.getPrefix(prefix)).toEqual(before);
  });

  it('signal and timeoutMs: rejects with AbortError / TimeoutError, nothing written', async () => {
    const holding = holdingTransport(await adapterFor(transport, cluster()));
    const c = await connect({ transport: holding, namespace: prefix });
    try {
      const spec: TxnSpec = { success: [{ put: { key: 'txn-timeout', value: 'x' } }] };
      await expect(c.txn(spec, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
      holding.hold('txn');
      await expect(c.txn(spec, { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
      const controller = new AbortController();
      const pending = c.txn(spec, { signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(AbortError);
      expect(holding.waiting).toBe(0);
      holding.release();
      expect(await c.get('txn-timeout')).toBeUndefined();
      expect((await c.txn(spec, { timeoutMs: 10_000 })).succeeded).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('every value handed out is a plain Uint8Array: get, getPrefix, txn get, stm get, watch events', async () => {
    const c = await open({ namespace: `${prefix}plain/` });
    const events = firstValueFrom(c.watch('v', { prevKv: true }).pipe(take(2), toArray(), timeout(20_000)));
    await c.put('v', 'one');
    await c.put('v', bytes('two'));
    const values: unknown[] = [];
    values.push((await c.get('v'))!.value);
    values.push(...(await c.getPrefix('')).map((kv) => kv.value));
    values.push(...(await c.getPrefix('', { keysOnly: true })).map((kv) => kv.value));
    const got = await c.txn({ success: [{ get: { key: 'v' } }] });
    values.push(...(got.results[0] as { kvs: KeyValue[] }).kvs.map((kv) => kv.value));
    values.push(await c.stm(async (tx) => tx.get('v')));
    values.push(await c.stm(async (tx) => (tx.put('w', Buffer.from('buffered')), tx.get('w'))));
    for (const e of await events) values.push(e.value, e.kv.value, ...(e.prevKv ? [e.prevKv.value] : []));
    expect(values.length).toBeGreaterThanOrEqual(9);
    expect(values.filter((v) => !isPlainBytes(v))).toEqual([]);
  });
});
