/**
 * After a dropped stream, resumed single-key watches are synced at once (issue 14 item 6). etcd 3.4
 * (`mvcc/watchable_store.go`, `watch()`) puts a watcher whose start revision is at or below its current revision in
 * its unsynced group, caught up only every 100 ms (`syncWatchersLoop`); a watcher from its current revision (start 0)
 * or from a future one is synced at once. The test records every watcher the client creates (the revision etcd
 * created it at, whether the client cancelled it), on a member of its own, through a relay it drops while other keys
 * are written, over gRPC and the HTTP gateway: the watcher the client keeps for each key must have been synced at
 * creation. Exactness is checked against the writer's revisions.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { createHttpTransport } from '../../adapters/http/index.js';
import { createGrpcProxyTransport } from '../../adapters/grpc-proxy/index.js';
import { connect, type Conclave } from '../../src/index.js';
import type { Transport, WatchStream } from '../../src/transport/index.js';
import { pollUntil, startRelay, startSingle, uniquePrefix, type EtcdCluster, type Relay } from '../harness/index.js';

let cluster: EtcdCluster;
const clients: Conclave[] = [];
const relays: Relay[] = [];
beforeAll(async () => {
  cluster = await startSingle({ name: 'resume-synced' });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(relays.map((r) => r.close()));
  await cluster?.stop();
});

/** A watcher the client created: its key, start revision, the revision etcd created it at (once it said so), cancelled by the client. */
interface Created {
  key: string;
  startRevision: bigint;
  createdAt?: bigint;
  canceled?: boolean;
}

/** `inner` with every watcher it creates recorded in `created`. */
function recording(inner: Transport, created: Created[]): Transport {
  return new Proxy(inner, {
    get(target, property: keyof Transport) {
      if (property === 'openWatch') {
        return (handlers: Parameters<Transport['openWatch']>[0]): WatchStream => {
          const stream = target.openWatch(handlers);
          return {
            watch: (request, listener) => {
              const entry: Created = { key: new TextDecoder().decode(request.key), startRevision: request.startRevision ?? 0n };
              created.push(entry);
              const handle = stream.watch(request, {
                ...listener,
                onCreated: (h) => {
                  entry.createdAt = h.revision;
                  listener.onCreated(h);
                },
              });
              return {
                cancel: () => {
                  entry.canceled = true;
                  handle.cancel();
                },
              };
            },
            requestProgress: () => stream.requestProgress(),
            close: () => stream.close(),
          };
        };
      }
      const value: unknown = target[property];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** etcd put it in its synced group at creation: started from its current revision (0) or past it. */
const synced = (w: Created): boolean => w.startRevision === 0n || (w.createdAt !== undefined && w.startRevision > w.createdAt);
/** Resolves once `predicate` holds (checked every 5 ms), rejects after 20 s. */
const until = async (predicate: () => boolean): Promise<void> => {
  await pollUntil(() => (predicate() ? true : undefined), { timeoutMs: 20_000, intervalMs: 5 });
};
/** The watchers created since `from`, once each key has exactly one left (and etcd created it): the ones the client kept. */
const kept = async (created: Created[], from: number, keys: string[]): Promise<Created[]> => {
  const live = (): Created[] => created.slice(from).filter((w) => !w.canceled);
  await until(() => keys.every((k) => live().filter((w) => w.key === k && w.createdAt !== undefined).length === 1 && live().filter((w) => w.key === k).length === 1));
  return live();
};

// Through `etcd grpc-proxy` the created header of a watcher from a past revision is clamped (the adapter's), so only
// "the kept watcher started at etcd's current revision" and exactness are checked there.
for (const kind of ['grpc', 'http', 'grpc-proxy'] as const) {
  it(`${kind}: after a drop while other keys were written, resumed key watches are synced at once; one whose key changed replays the gap exactly`, async () => {
    const member = cluster.members[0]!;
    const relay = await startRelay(kind === 'grpc-proxy' ? (await cluster.startGrpcProxy()).address : member.clientAddress);
    relays.push(relay);
    const created: Created[] = [];
    const inner =
      kind === 'grpc'
        ? createGrpcTransport({ endpoints: [relay.address] })
        : kind === 'http'
          ? createHttpTransport({ endpoints: [`http://${relay.address}`] })
          : createGrpcProxyTransport({ endpoints: [relay.address], discover: false });
    const client = await connect({ transport: recording(inner, created) });
    const writer = await connect({ endpoints: [member.clientAddress] });
    clients.push(client, writer);
    const prefix = uniquePrefix(`resume-synced-${kind}`);
    const keys = ['a', 'b', 'c'].map((k) => `${prefix}${k}`);
    const put: Record<string, bigint[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const got: Record<string, bigint[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const subs = keys.map((k) => client.watch(k).subscribe((e) => got[k]!.push(e.revision)));
    await until(() => created.length === keys.length && created.every((w) => w.createdAt !== undefined));
    const write = async (key: string): Promise<void> => {
      const { revision } = await writer.put(key, 'v');
      if (put[key]) put[key].push(revision);
    };
    const allSeen = (): Promise<void> => until(() => keys.every((k) => got[k]!.length === put[k]!.length));
    for (const k of keys) await write(k);
    await allSeen();

    // 1. A drop; meanwhile only other keys are written, so etcd's revision is past every watcher's last event.
    const before = created.length;
    relay.cut('drop');
    for (let i = 0; i < 3; i++) await write(`${prefix}other`);
    await new Promise((r) => setTimeout(r, 300));
    relay.restore();
    const resumed = await kept(created, before, keys);
    expect(resumed.map((w) => w.key).sort()).toEqual([...keys].sort());
    expect(resumed.filter((w) => w.startRevision !== 0n)).toEqual([]); // old code: from the last event + 1 (unsynced)
    if (kind !== 'grpc-proxy') expect(resumed.filter((w) => !synced(w))).toEqual([]);
    for (const k of keys) await write(k);
    await allSeen();

    // 2. A drop while the first key is written: its watcher replays the gap from its last event + 1 (no loss);
    // the others are synced at once.
    const before2 = created.length;
    relay.cut('drop');
    await write(keys[0]!);
    await write(`${prefix}other`);
    await new Promise((r) => setTimeout(r, 300));
    relay.restore();
    const again = await kept(created, before2, keys);
    for (const k of keys) await write(k);
    await allSeen();
    expect(again.filter((w) => w.key !== keys[0]).every((w) => w.startRevision === 0n && (kind === 'grpc-proxy' || synced(w)))).toBe(true);
    const replay = again.filter((w) => w.key === keys[0]);
    expect(replay.map((w) => w.startRevision)).toEqual([put[keys[0]!]!.at(-3)! + 1n]); // after the last event before the drop

    for (const k of keys) expect(got[k]).toEqual(put[k]); // no gap, no duplicate, in order
    for (const s of subs) s.unsubscribe();
  });
}
