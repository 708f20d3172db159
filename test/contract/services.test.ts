/**
 * Service registry: register / instances / instances$, instances vanishing
 * with their client, automatic re-registration after a session loss or a
 * network fault, duplicate ids, bad input.
 */
import { firstValueFrom, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { connect, createGrpcProxyTransport, EtcdError, InvalidArgumentError, type Conclave, type ServiceInstance } from '../../src/index.js';
import { startRelay, type Relay } from '../harness/index.js';
import { countBecomes, revokeLease, sharedLease, within } from './primitives-util.js';
import { describeContract } from './transports.js';
import { openLossy, prefixRead } from './lossy-client.js';

/** Records every emission of `instances$` as a list of ids; `until(ids)` waits for the next emission equal to `ids`. */
function watchIds(source: Conclave, name: string) {
  const seen: string[][] = [];
  const sub = source.services(name).instances$.subscribe((list: ServiceInstance[]) => seen.push(list.map((i) => i.id)));
  let cursor = 0;
  const until = async (ids: string[], what: string) => {
    const wanted = JSON.stringify(ids);
    await countBecomes(
      async () => {
        while (cursor < seen.length) if (JSON.stringify(seen[cursor++]) === wanted) return 1;
        return 0;
      },
      1,
      what,
    );
  };
  return { seen, until, stop: () => sub.unsubscribe() };
}

describeContract('services', ({ client, open, prefix, cluster, transport }) => {
  const openNs = () => open({ namespace: prefix });

  it('register, instances() and instances$: the full set at subscribe, then every change', async () => {
    const c = await client();
    const [a, b] = [await openNs(), await openNs()];
    const ra = await a.services('api').register({ id: 'api-1', address: '10.0.0.1:80', metadata: { zone: 'a' } });
    const watcher = watchIds(c, 'api');
    await watcher.until(['api-1'], 'the initial set');
    const rb = await b.services('api').register({ id: 'api-2', address: '10.0.0.2:80' });
    await watcher.until(['api-1', 'api-2'], 'the second instance');
    expect(await c.services('api').instances()).toEqual([
      { id: 'api-1', address: '10.0.0.1:80', metadata: { zone: 'a' } },
      { id: 'api-2', address: '10.0.0.2:80', metadata: {} },
    ]);
    await ra.deregister();
    await ra.deregister(); // idempotent
    await watcher.until(['api-2'], 'the deregistration');
    await rb[Symbol.asyncDispose]();
    await watcher.until([], 'the empty set');
    expect(watcher.seen).toEqual([['api-1'], ['api-1', 'api-2'], ['api-2'], []]);
    watcher.stop();
  });

  it('a registration exposes its instance; metadata is typed by services<M>()', async () => {
    const c = await client();
    const api = c.services<{ zone: string; weight: number }>(`typed-${transport.name}`);
    const reg = await api.register({ id: 'i-1', address: '127.0.0.1:1', metadata: { zone: 'a', weight: 3 } });
    expect(reg.instance).toEqual({ id: 'i-1', address: '127.0.0.1:1', metadata: { zone: 'a', weight: 3 } });
    const [first] = await api.instances();
    const zone: string = first!.metadata.zone; // typed: compiles without a cast
    expect(zone).toBe('a');
    const plain = await c.services(`plain-${transport.name}`).register({ id: 'p', address: 'x:1' });
    expect(plain.instance.metadata).toEqual({});
    await Promise.all([reg.deregister(), plain.deregister()]);
  });

  it('an instance is one key `__services/<name>/<id>` with JSON { id, address, metadata } on the session lease', async () => {
    const c = await openNs();
    await c.services('layout').register({ id: 'node/1', address: 'h:1', metadata: { v: 2 } });
    const kvs = await c.getPrefix('__services/layout/');
    expect(kvs.map((kv) => kv.key)).toEqual(['__services/layout/node%2F1']);
    expect(JSON.parse(new TextDecoder().decode(kvs[0]!.value))).toEqual({ id: 'node/1', address: 'h:1', metadata: { v: 2 } });
    expect(kvs[0]!.lease).toBe(await sharedLease(c));
  });

  it('the instance of a client that closes disappears', async () => {
    const c = await client();
    const leaving = await openNs();
    await leaving.services('closing').register({ id: 'x', address: 'x:1' });
    const watcher = watchIds(c, 'closing');
    await watcher.until(['x'], 'the instance');
    await leaving.close();
    await watcher.until([], 'the instance gone');
    watcher.stop();
  });

  it('a session revoked from outside: the instance is re-registered on a new lease by itself; lost$ stays silent', async () => {
    const c = await client();
    const owner = await openNs();
    const reg = await owner.services('revoked').register({ id: 'r', address: 'r:1' });
    let lost = false;
    reg.lost$.subscribe(() => (lost = true));
    const watcher = watchIds(c, 'revoked');
    await watcher.until(['r'], 'the instance');
    const before = await sharedLease(owner);
    await revokeLease(cluster(), before);
    await watcher.until([], 'the instance gone with its lease');
    await watcher.until(['r'], 'the instance back');
    const [kv] = await c.getPrefix('__services/revoked/');
    expect(kv!.lease).not.toBe(before);
    expect(kv!.lease).toBe(await sharedLease(owner));
    expect(lost).toBe(false);
    await reg.deregister();
    await watcher.until([], 'deregistered');
    watcher.stop();
  });

  it('a registration of the same id replaces the older one, whose lost$ emits and which does not come back', async () => {
    const c = await client();
    const first = await openNs();
    const second = await openNs();
    const old = await first.services('dup').register({ id: 'same', address: 'old:1' });
    const lostOld = firstValueFrom(old.lost$.pipe(timeout(10_000)));
    const newer = await second.services('dup').register({ id: 'same', address: 'new:1' });
    await lostOld;
    expect((await c.services('dup').instances()).map((i) => i.address)).toEqual(['new:1']);
    // The displaced one does not fight back even when its own session is lost and renewed.
    const revoked = await sharedLease(first);
    await revokeLease(cluster(), revoked);
    await countBecomes(async () => ((await sharedLease(first)) !== revoked ? 1 : 0), 1, 'a new session');
    expect((await c.services('dup').instances()).map((i) => i.address)).toEqual(['new:1']);
    await old.deregister(); // a no-op: the key is the newer registration's
    expect((await c.services('dup').instances()).map((i) => i.address)).toEqual(['new:1']);
    // In one client: the second register() of an id displaces the first.
    const again = await second.services('dup').register({ id: 'same', address: 'newest:1' });
    await within(firstValueFrom(newer.lost$.pipe(timeout(10_000))), 10_000, 'lost$ of the displaced one');
    expect((await c.services('dup').instances()).map((i) => i.address)).toEqual(['newest:1']);
    await again.deregister();
    expect(await c.services('dup').instances()).toEqual([]);
  });

  it('bad instances are refused before anything is written', async () => {
    const c = await client();
    const reg = c.services('bad');
    const bad = [
      undefined,
      { id: '', address: 'a:1' },
      { id: 'x' },
      { id: 'x', address: 5 },
      { id: 'x', address: 'a:1', metadata: [1] },
      { id: 'x', address: 'a:1', metadata: { n: 1n } },
      { id: 'x', address: 'a:1', metadata: { big: 'x'.repeat(2 * 1024 * 1024) } },
    ];
    for (const instance of bad) await expect(reg.register(instance as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.getPrefix('__services/bad/')).toEqual([]);
    expect(() => c.services('')).toThrow(InvalidArgumentError);
  });

  it('a network fault past the TTL: the instance vanishes, and is re-registered when the client reconnects', async () => {
    const c = await client();
    const [endpoint] = await transport.endpointsFor(cluster());
    const url = /^(https?:\/\/)?(.*)$/.exec(endpoint!)!;
    let relay: Relay | undefined;
    let cut: Conclave | undefined;
    try {
      relay = await startRelay(url[2]!);
      const endpoints = [`${url[1] ?? ''}${relay.address}`];
      // Through the relay only: the grpc-proxy transport would otherwise fail over to the proxy it discovers behind it.
      const via = transport.name === 'grpc-proxy' ? createGrpcProxyTransport({ endpoints, discover: false }) : transport.name;
      cut = await connect({ endpoints, transport: via, namespace: prefix, sessionTtlSeconds: 2 });
      const reg = await cut.services('fault').register({ id: 'f', address: 'f:1' });
      let lost = false;
      reg.lost$.subscribe(() => (lost = true));
      const watcher = watchIds(c, 'fault');
      await watcher.until(['f'], 'the instance');
      relay.cut('drop');
      await watcher.until([], 'the instance expired with its lease');
      relay.restore();
      await watcher.until(['f'], 'the instance re-registered');
      expect(lost).toBe(false);
      watcher.stop();
    } finally {
      await cut?.close();
      await relay?.close();
    }
  });

  it('instances$ retries a read that fails with a retryable ConnectionError (with backoff), then follows every change', async () => {
    const { c, lossy } = await openLossy(transport, cluster(), open, { namespace: prefix });
    const other = await openNs();
    await other.services('retry').register({ id: 'r1', address: 'r:1' });
    lossy.arm({ method: 'range', when: prefixRead(`${prefix}__services/retry/`), outcome: 'not-sent', times: 3 });
    let failed: unknown;
    const sub = c.services('retry').instances$.subscribe({ error: (e: unknown) => (failed = e) });
    const watcher = watchIds(c, 'retry');
    await watcher.until(['r1'], 'the set after the failed reads');
    expect(lossy.fired).toBe(3);
    await other.services('retry').register({ id: 'r2', address: 'r:2' });
    await watcher.until(['r1', 'r2'], 'the change after it');
    expect(failed).toBeUndefined();
    sub.unsubscribe();
    watcher.stop();
  });

  it('instances$ still errors when its read fails with an error that is not retryable', async () => {
    const { c, lossy } = await openLossy(transport, cluster(), open, { namespace: prefix });
    const range = lossy.range.bind(lossy);
    lossy.range = (request, options) =>
      prefixRead(`${prefix}__services/fatal/`)(request) ? Promise.reject(new EtcdError('etcdserver: refused (test fault)', 9)) : range(request, options);
    const error = await firstValueFrom(c.services('fatal').instances$.pipe(timeout(10_000))).catch((e: unknown) => e);
    lossy.range = range;
    expect(error).toBeInstanceOf(EtcdError);
  });
});
