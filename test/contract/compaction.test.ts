import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { CompactedError } from '../../src/index.js';
import { gatewayPost } from '../harness/index.js';
import { describeContract } from './transports.js';

describeContract(
  'compaction',
  ({ client, cluster }) => {
    const compact = (revision: bigint) => gatewayPost(cluster().clientUrls[0]!, '/v3/kv/compaction', { revision: revision.toString(), physical: true });

    it('a compacted fromRevision errors with CompactedError carrying compactRevision; other subscribers keep going', async () => {
      const c = await client();
      const old = await c.put('k', 'x');
      const later = await c.put('k', 'y');
      const live = firstValueFrom(c.watch('k').pipe(take(1), toArray(), timeout(20_000)));
      await compact(later.revision);
      const err = await firstValueFrom(c.watch('k', { fromRevision: old.revision }).pipe(timeout(20_000))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompactedError);
      expect((err as CompactedError).compactRevision).toBe(later.revision);
      expect((err as CompactedError).retryable).toBe(false);
      const r = await c.put('k', 'z');
      expect((await live).map((e) => e.revision)).toEqual([r.revision]);
    });

    it('a fromRevision at the compaction point still replays', async () => {
      const c = await client();
      const a = await c.put('k2', 'a');
      await compact(a.revision);
      const events = await firstValueFrom(c.watch('k2', { fromRevision: a.revision }).pipe(take(1), toArray(), timeout(20_000)));
      expect(events[0]!.revision).toBe(a.revision);
    });

    it('after a watch from a compacted revision failed, a replay from the compaction point still works', async () => {
      // (etcd grpc-proxy keeps a server-cancelled watcher in a dead broadcast that later watchers of the
      // range could join and hang on, unless the client cancels it explicitly.)
      const c = await client();
      const old = await c.put('r', 'a');
      const mid = await c.put('r', 'b');
      const live = firstValueFrom(c.watch('r').pipe(take(1), toArray(), timeout(20_000)));
      await compact(mid.revision);
      const err = await firstValueFrom(c.watch('r', { fromRevision: old.revision }).pipe(timeout(20_000))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompactedError);
      const replay = await firstValueFrom(c.watch('r', { fromRevision: mid.revision }).pipe(take(1), toArray(), timeout(10_000)));
      expect(replay.map((e) => e.revision)).toEqual([mid.revision]);
      const last = await c.put('r', 'c');
      expect((await live).map((e) => e.revision)).toEqual([last.revision]);
    });
  },
  { ownCluster: true },
);
