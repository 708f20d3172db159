import { expect, it } from 'vitest';
import { AbortError, InvalidArgumentError, StmConflictError, TimeoutError, type Conclave, type Stm, type StmIsolation } from '../../src/index.js';
import { deferred, text } from './kv-helpers.js';
import { describeContract } from './transports.js';

const LEVELS: StmIsolation[] = ['serializable-snapshot', 'serializable', 'repeatable-read', 'read-committed'];
const num = (b: Uint8Array | undefined): number => (b === undefined ? 0 : Number(text(b)));

describeContract('stm', ({ client, prefix, open }) => {
  let peers: Promise<Conclave[]> | undefined;
  /** Eight more clients in the test namespace, each with its own connection. */
  const eight = () => (peers ??= Promise.all(Array.from({ length: 8 }, () => open({ namespace: prefix }))));
  /** A second client: the "concurrent writer" of the anomaly tests. */
  const other = async () => (await eight())[0]!;
  /** Makes `c`'s member catch up with every write acknowledged so far (a linearizable read through it). */
  const sync = async (c: Conclave, key: string) => void (await c.get(key));

  it.each(['serializable-snapshot', 'serializable', 'repeatable-read'] as const)(
    '8 clients x 25 increments under %s count exactly 200',
    async (isolation) => {
      const key = `count/${isolation}`;
      const increment = async (tx: Stm) => tx.put(key, String(num(await tx.get(key)) + 1));
      await Promise.all((await eight()).map(async (c) => {
        for (let i = 0; i < 25; i++) await c.stm(increment, { isolation });
      }));
      expect(num((await (await client()).get(key))?.value)).toBe(200);
    },
    120_000,
  );

  it('concurrent transfers keep the sum; a serializable reader always sees it whole', async () => {
    const c = await client();
    await c.put('acct/a', '100');
    await c.put('acct/b', '100');
    const seen: number[] = [];
    let done = false;
    const auditor = (async () => {
      while (!done) seen.push(await c.stm(async (tx) => num(await tx.get('acct/a')) + num(await tx.get('acct/b')), { isolation: 'serializable' }));
    })();
    const workers = (await eight()).slice(0, 6).map(async (w, n) => {
      for (let i = 0; i < 12; i++) {
        const [from, to] = (n + i) % 2 === 0 ? ['acct/a', 'acct/b'] : ['acct/b', 'acct/a'];
        const amount = (i % 5) + 1;
        await w.stm(async (tx) => {
          tx.put(from, String(num(await tx.get(from)) - amount));
          tx.put(to, String(num(await tx.get(to)) + amount));
        });
      }
    });
    await Promise.all(workers);
    done = true;
    await auditor;
    expect(num((await c.get('acct/a'))?.value) + num((await c.get('acct/b'))?.value)).toBe(200);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s !== 200)).toEqual([]);
  }, 120_000);

  it.each(LEVELS)('lost update under %s: only read-committed commits over a concurrent write', async (isolation) => {
    const c = await client();
    const key = `lost/${isolation}`;
    await c.put(key, '10');
    await sync(c, key);
    let attempts = 0;
    await c.stm(async (tx) => {
      attempts += 1;
      const v = num(await tx.get(key));
      if (attempts === 1) {
        await (await other()).put(key, '100');
        await sync(c, key);
      }
      tx.put(key, String(v + 1));
    }, { isolation });
    const final = num((await c.get(key))?.value);
    if (isolation === 'read-committed') expect({ attempts, final }).toEqual({ attempts: 1, final: 11 });
    else expect({ attempts, final }).toEqual({ attempts: 2, final: 101 });
  });

  it.each(LEVELS)('read skew inside an attempt under %s: only the snapshot levels read one revision', async (isolation) => {
    const c = await client();
    const [a, b, seenKey] = [`skew/${isolation}/a`, `skew/${isolation}/b`, `skew/${isolation}/seen`];
    await c.txn({ success: [{ put: { key: a, value: '50' } }, { put: { key: b, value: '50' } }] });
    await sync(c, a);
    const sums: number[] = [];
    await c.stm(async (tx) => {
      const va = num(await tx.get(a));
      if (sums.length === 0) {
        await (await other()).txn({ success: [{ put: { key: a, value: '40' } }, { put: { key: b, value: '60' } }] });
        await sync(c, b);
      }
      const vb = num(await tx.get(b));
      sums.push(va + vb);
      tx.put(seenKey, String(va + vb));
    }, { isolation });
    const expected: Record<StmIsolation, number[]> = {
      'serializable-snapshot': [100, 100],
      serializable: [100, 100],
      'repeatable-read': [110, 100], // saw a mix of revisions, but could not commit it
      'read-committed': [110], // and committed it
    };
    expect(sums).toEqual(expected[isolation]);
    expect(num((await c.get(seenKey))?.value)).toBe(isolation === 'read-committed' ? 110 : 100);
  });

  it.each(LEVELS)('a blind write over a concurrent write under %s: only serializable-snapshot re-runs', async (isolation) => {
    const c = await client();
    const [x, w] = [`blind/${isolation}/x`, `blind/${isolation}/w`];
    await c.put(x, '1');
    await sync(c, x);
    let attempts = 0;
    await c.stm(async (tx) => {
      attempts += 1;
      await tx.get(x);
      if (attempts === 1) {
        await (await other()).put(w, 'theirs');
        await sync(c, w);
      }
      tx.put(w, 'mine');
    }, { isolation });
    expect(attempts).toBe(isolation === 'serializable-snapshot' ? 2 : 1);
    expect(text((await c.get(w))?.value)).toBe('mine');
  });

  it.each(LEVELS)('under %s a key is read once per attempt (repeatable within the attempt, as Go)', async (isolation) => {
    const c = await client();
    const key = `rr/${isolation}`;
    await c.put(key, '1');
    await sync(c, key);
    const firstAttempt: number[] = [];
    await c.stm(async (tx) => {
      const v1 = num(await tx.get(key));
      const r1 = await tx.rev(key);
      if (firstAttempt.length === 0) {
        await (await other()).put(key, '2');
        await sync(c, key);
        firstAttempt.push(v1, num(await tx.get(key)));
        expect(await tx.rev(key)).toBe(r1);
      }
    }, { isolation });
    expect(firstAttempt).toEqual([1, 1]);
  });

  it('get sees the attempt\'s own writes; rev is the mod revision (0n when absent); writes commit atomically', async () => {
    const c = await client();
    const { revision } = await c.put('api/old', 'o');
    const seen = await c.stm(async (tx) => {
      const before = { rev: await tx.rev('api/old'), absent: await tx.rev('api/none'), none: await tx.get('api/none') };
      tx.put('api/new', 'n');
      tx.put('api/bin', Uint8Array.of(0, 255));
      tx.delete('api/old');
      return { ...before, mine: text(await tx.get('api/new')), gone: await tx.get('api/old') };
    });
    expect(seen).toEqual({ rev: revision, absent: 0n, none: undefined, mine: 'n', gone: undefined });
    const kvs = await c.getPrefix('api/');
    expect(kvs.map((kv) => kv.key)).toEqual(['api/bin', 'api/new']);
    expect(kvs[0]!.modRevision).toBe(kvs[1]!.modRevision);
    expect(Array.from(kvs[0]!.value)).toEqual([0, 255]);
  });

  it('a failing function commits nothing and is not re-run', async () => {
    const c = await client();
    let attempts = 0;
    const boom = new Error('boom');
    await expect(c.stm(async (tx) => {
      attempts += 1;
      tx.put('fail/k', 'x');
      throw boom;
    })).rejects.toBe(boom);
    expect(attempts).toBe(1);
    await expect(c.stm(async (tx) => tx.put('', 'x'))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.stm(async (tx) => (tx.put('fail/k', 'x'), tx.put('fail/j', 7 as unknown as string)))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.getPrefix('fail/')).toEqual([]);
  });

  it('maxRetries bounds the re-runs: StmConflictError, nothing of fn committed', async () => {
    const c = await client();
    await c.put('mr/k', '0');
    await sync(c, 'mr/k');
    for (const maxRetries of [0, 2]) {
      let attempts = 0;
      const err = await c.stm(async (tx) => {
        attempts += 1;
        const v = num(await tx.get('mr/k'));
        await (await other()).put('mr/k', String(100 * attempts)); // conflicts every attempt
        tx.put('mr/k', String(v + 1));
        tx.put('mr/mine', 'x');
      }, { maxRetries }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StmConflictError);
      expect((err as StmConflictError).attempts).toBe(maxRetries + 1);
      expect(attempts).toBe(maxRetries + 1);
      expect(text((await c.get('mr/k'))?.value)).toBe(String(100 * attempts));
      expect(await c.get('mr/mine')).toBeUndefined();
    }
  });

  it('timeoutMs and signal reject while fn runs, before it settles; nothing is committed', async () => {
    const c = await client();
    for (const how of ['timeout', 'signal'] as const) {
      const gate = deferred();
      const finished = deferred<unknown>();
      const controller = new AbortController();
      const running = c.stm(async (tx) => {
        tx.put(`ab/${how}`, 'x');
        if (how === 'signal') controller.abort();
        await gate.promise;
        try {
          tx.put(`ab/${how}/late`, 'x');
          finished.resolve(undefined);
        } catch (e) {
          finished.resolve(e);
        }
      }, how === 'timeout' ? { timeoutMs: 50 } : { signal: controller.signal });
      await expect(running).rejects.toBeInstanceOf(how === 'timeout' ? TimeoutError : AbortError);
      gate.resolve();
      expect(await finished.promise).toBeInstanceOf(how === 'timeout' ? TimeoutError : AbortError);
    }
    let called = false;
    await expect(c.stm(async () => void (called = true), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(called).toBe(false);
    expect(await c.getPrefix('ab/')).toEqual([]);
  });

  it('refuses bad options before running fn', async () => {
    const c = await client();
    let called = false;
    const fn = async () => void (called = true);
    const bad: unknown[] = [
      { isolation: 'snapshot' },
      { maxRetries: -1 },
      { maxRetries: 1.5 },
      { maxRetries: '3' },
      { timeoutMs: -1 },
      { signal: {} },
      'fast',
    ];
    for (const opts of bad) await expect(c.stm(fn, opts as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.stm('fn' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(called).toBe(false);
  });
});
