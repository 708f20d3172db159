/**
 * `client.status$` and the `'status'` event against real etcd, over every
 * transport: a client whose only way to etcd (or to the grpc-proxy) is a TCP
 * relay sees `disconnected` when the relay drops every connection, and
 * `reconnected` (with the outage's length) once traffic flows again — with a
 * watch open, and with no stream at all.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { ConnectionError, TimeoutError, connect, type Conclave, type ConnectionStatus } from '../../src/index.js';
import { startRelay, type Relay } from '../harness/index.js';
import { waitFor } from './collect.js';
import { describeContract } from './transports.js';

describeContract('connection status', ({ transport, prefix, cluster }) => {
  const opened: { client: Conclave; relay: Relay }[] = [];
  afterEach(async () => {
    for (const { client, relay } of opened.splice(0)) {
      await client.close();
      await relay.close();
    }
  });

  async function throughRelay(): Promise<{ client: Conclave; relay: Relay; statuses: ConnectionStatus[]; events: ConnectionStatus[] }> {
    const [endpoint] = await transport.endpointsFor(cluster());
    const url = /^(https?:\/\/)?(.+)$/.exec(endpoint!)!;
    const relay = await startRelay(url[2]!);
    const client = await connect({ endpoints: [`${url[1] ?? ''}${relay.address}`], transport: transport.name, namespace: prefix, dialTimeoutMs: 2000 });
    opened.push({ client, relay });
    const statuses: ConnectionStatus[] = [];
    const events: ConnectionStatus[] = [];
    client.status$.subscribe((s) => statuses.push(s));
    client.events.on('status', (s) => events.push(s));
    return { client, relay, statuses, events };
  }

  function next(client: Conclave, state: ConnectionStatus['state']): Promise<ConnectionStatus> {
    return firstValueFrom(client.status$.pipe(filter((s) => s.state === state), timeout(20_000)));
  }

  it('with a watch open: drop → disconnected (ConnectionError), restore → reconnected, and the watch goes on', async () => {
    const { client, relay, statuses, events } = await throughRelay();
    expect(statuses).toEqual([{ state: 'connected' }]);
    expect(client.events.status).toEqual({ state: 'connected' });

    const seen: string[] = [];
    const got = (value: string) => waitFor(() => seen.includes(value), 20_000, `watch event ${value}`);
    const before = got('before');
    const sub = client.watch('k').subscribe((e) => {
      seen.push(new TextDecoder().decode(e.value));
      before.check();
      after.check();
    });
    const after = got('after');
    await client.put('k', 'before');
    await before.promise;

    const disconnected = next(client, 'disconnected');
    relay.cut('drop');
    const down = await disconnected;
    expect(down.state === 'disconnected' && down.reason).toBeInstanceOf(ConnectionError);

    const reconnected = next(client, 'reconnected');
    relay.restore();
    const up = await reconnected;
    expect(up.state === 'reconnected' && up.downtimeMs).toBeGreaterThan(0);

    await client.put('k', 'after');
    await after.promise;
    sub.unsubscribe();

    // One outage: connected, disconnected, reconnected — and the same changes as events.
    expect(statuses.map((s) => s.state).slice(0, 3)).toEqual(['connected', 'disconnected', 'reconnected']);
    expect(events.map((s) => s.state).slice(0, 2)).toEqual(['disconnected', 'reconnected']);
    expect(client.events.status.state).toBe('reconnected');
  });

  // Through a grpc-proxy group the adapter fails over to the group's other proxies, so the relay is not the only way to etcd.
  it.skipIf(transport.name === 'grpc-proxy')('with no stream open: a failed call → disconnected; etcd is probed until it answers → reconnected', async () => {
    const { client, relay } = await throughRelay();
    expect(client.stats()).toMatchObject({ serverWatchers: 0, keepAliveStreams: 0 });
    relay.cut('drop');
    const disconnected = next(client, 'disconnected');
    // gRPC reports ConnectionError; the HTTP gateway's calls run into their own deadline (TimeoutError).
    const failure = await client.get('x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure instanceof ConnectionError || failure instanceof TimeoutError, String(failure)).toBe(true);
    await disconnected;

    const reconnected = next(client, 'reconnected');
    relay.restore();
    await reconnected; // no call of ours: the core's probe saw etcd answer
    expect(await client.put('x', 'y')).toHaveProperty('revision');
  });

  it('status$ completes on close', async () => {
    const { client } = await throughRelay();
    let completed = false;
    client.status$.subscribe({ complete: () => (completed = true) });
    await client.close();
    expect(completed).toBe(true);
  });
});
