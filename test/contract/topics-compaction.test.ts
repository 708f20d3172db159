/**
 * Topic replay against a compacted history (own cluster: compaction is cluster-wide).
 */
import { firstValueFrom, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { CompactedError, type TopicMessage } from '../../src/index.js';
import { countBecomes } from './primitives-util.js';
import { gatewayPost } from '../harness/index.js';
import { describeContract, firstN } from './transports.js';

describeContract(
  'topics compaction',
  ({ client, cluster }) => {
    const compact = (revision: bigint) => gatewayPost(cluster().clientUrls[0]!, '/v3/kv/compaction', { revision: revision.toString(), physical: true });

    it('a replay from a compacted revision errors with CompactedError; other subscribers keep going', async () => {
      const c = await client();
      const topic = c.topic<number>('t');
      const first = await topic.publish(1);
      await topic.publish(2);
      const third = await topic.publish(3);
      const live = firstN(topic.messages$(), 1);
      await compact(third.revision);
      const err = await firstValueFrom(topic.messages$({ fromRevision: first.revision }).pipe(timeout(20_000))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompactedError);
      expect((err as CompactedError).compactRevision).toBe(third.revision);
      // From the compaction point on, history is still there.
      const fromThird = await firstN(topic.messages$({ fromRevision: third.revision }), 1);
      expect(fromThird.map((m) => m.value)).toEqual([3]);
      const fourth = await topic.publish(4);
      expect((await live).map((m) => m.revision)).toEqual([fourth.revision]);
    });

    it("onCompacted: 'retained' replays the messages the topic still retains, then continues live", async () => {
      const c = await client();
      const topic = c.topic<number>('kept', { retention: { maxMessages: 3 } });
      const revisions: bigint[] = [];
      for (let i = 0; i < 8; i++) revisions.push((await topic.publish(i)).revision);
      await compact(revisions[7]!);
      // 8 published, at most 3 + 1 (slack) kept: the oldest were trimmed, the newest are replayed in order.
      const kept = (await c.getPrefix('__topics/kept/')).length;
      expect(kept).toBeGreaterThanOrEqual(3);
      expect(kept).toBeLessThanOrEqual(4);
      const messages: TopicMessage<number>[] = [];
      const sub = topic.messages$({ fromRevision: revisions[0]!, onCompacted: 'retained' }).subscribe((m) => messages.push(m));
      try {
        await countBecomes(async () => messages.length, kept, 'the retained messages');
        const live = await topic.publish(8);
        await countBecomes(async () => messages.length, kept + 1, 'the live message');
        expect(messages.map((m) => m.value)).toEqual([...Array.from({ length: kept }, (_, i) => 8 - kept + i), 8]);
        expect(messages.map((m) => m.revision)).toEqual([...revisions.slice(8 - kept), live.revision]);
      } finally {
        sub.unsubscribe();
      }
      // From a revision past the trimmed ones, nothing is missing.
      const recent = await firstN(topic.messages$({ fromRevision: revisions[6]!, onCompacted: 'retained' }), 3);
      expect(recent.map((m) => m.value)).toEqual([6, 7, 8]);
    });
  },
  { ownCluster: true },
);
