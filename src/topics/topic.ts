/**
 * Topics: pub/sub between services.
 *
 * ## Design
 * Each message is its own key, `__topics/<name>/<time>-<publisher id><counter>`
 * (see `layout.ts`), written in the steady state by ONE Put (no txn). The
 * retention is enforced by the client's one writer of the topic
 * (`publisher.ts`): its single-flight trimmer estimates the count from the
 * Put's revision, reads and trims in the background half a slack early, and a
 * publish waits only if the topic would otherwise stay past
 * `maxMessages + slack` (slack = 10%); it also sweeps the messages older than
 * `maxAgeMs` every `maxAgeMs / 10` (at most every minute). So the stored keys of
 * a topic stay bounded with no daemon, and every message is one put event in
 * revision order.
 *
 * Subscribers watch the topic's prefix through the client's watch hub, so any
 * number of subscribers of a topic in a client share ONE server watcher, and get
 * the hub's guarantees: revision order, no gap and no duplicate across
 * reconnects and member failures. Deletes (trimming) are not messages and are
 * skipped.
 *
 * Why one key per message rather than one key rewritten per message: both keep
 * the live keyspace bounded and both replay from etcd's history, but only
 * separate keys keep a readable window of recent messages when that history has
 * been compacted (`onCompacted: 'retained'`), and they make the retention bounds
 * (count and age) something a publisher can enforce itself.
 *
 * ## What replay reaches
 * `messages$({ fromRevision })` replays etcd's history of the topic from that
 * revision: every message published since, including ones already trimmed, as
 * long as etcd has not compacted that revision. Once compacted it errors with
 * `CompactedError` — or, with `onCompacted: 'retained'`, replays the messages
 * still retained after the last one it handled (revision >= fromRevision, or
 * >= last handled + 1) and continues live. The same happens every time the
 * history it resumes from is found compacted (e.g. after an outage with a
 * compaction), for live subscribers too once they have handled a message.
 * @module
 * @internal
 */
import { Observable, type Subscription } from 'rxjs';
import { CompactedError, InvalidArgumentError } from '../errors.js';
import type { Codec, WatchEvent } from '../types.js';
import type { ConsumeContext, ConsumeOptions, MessagesOptions, Topic, TopicMessage, TopicRetention } from './api.js';
import { checkRevision } from '../validate.js';
import { encodeValue } from '../kit/encode.js';
import { DecodeError } from '../kit/errors.js';
import type { Store } from '../kit/store.js';
import { consume } from './consume.js';
import { isMessageKey, topicPrefix } from './layout.js';
import { publisherOf, type Publisher } from './publisher.js';
import { resolveRetention, type Retention } from './retention.js';
import { toAsyncIterable, type AsyncValueIterator, type IterateOptions } from '../events/async-iterable.js';

/** Messages read per page when replaying retained messages. */
const REPLAY_PAGE = 256n;

/**
 * Creates the topic `name`.
 *
 * @example
 * ```ts
 * const orders = client.topic<{ id: number }>('orders', { retention: { maxMessages: 10_000 } });
 * orders.messages$().subscribe((m) => console.log(m.revision, m.value));
 * const { revision } = await orders.publish({ id: 1 });
 * ```
 */
export function createTopic<T>(store: Store, name: string, codec: Codec<T>, retention?: TopicRetention): Topic<T> {
  return new TopicImpl(store, name, codec, resolveRetention(retention));
}

class TopicImpl<T> implements Topic<T> {
  private readonly prefix: string;
  /** The client's writer of this topic (shared by every `Topic` object of the client for it), once this one published. */
  private publisher: Publisher | undefined;

  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly codec: Codec<T>,
    private readonly retention: Retention,
  ) {
    this.prefix = topicPrefix(name);
  }

  async publish(value: T): Promise<{ revision: bigint }> {
    const publisher = (this.publisher ??= publisherOf(this.store, this.prefix, this.retention));
    const now = Date.now();
    const key = publisher.nextKey(now);
    const bytes = encodeValue(this.codec, value, key, this.store.maxRequestBytes);
    return { revision: await publisher.publish({ key, value: bytes }, now) };
  }

  consume(handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>, opts: ConsumeOptions): Promise<void> {
    return consume(this.store, this.name, this.codec, handler, opts);
  }

  messages(opts: MessagesOptions & IterateOptions = {}): AsyncValueIterator<TopicMessage<T>> {
    const { signal, ...options } = opts;
    return toAsyncIterable(this.messages$(options), { signal });
  }

  messages$(opts: MessagesOptions = {}): Observable<TopicMessage<T>> {
    const { fromRevision, onDecodeError = 'error', onCompacted = 'error' } = opts;
    if (fromRevision !== undefined) {
      checkRevision(fromRevision, 'fromRevision');
      if (fromRevision === 0n) throw new InvalidArgumentError('fromRevision must be >= 1');
    }
    if (onDecodeError !== 'error' && onDecodeError !== 'skip') throw new InvalidArgumentError(`onDecodeError must be 'error' or 'skip'`);
    if (onCompacted !== 'error' && onCompacted !== 'retained') throw new InvalidArgumentError(`onCompacted must be 'error' or 'retained'`);

    return new Observable<TopicMessage<T>>((subscriber) => {
      let inner: Subscription | undefined;
      let stopped = false;
      /** The first revision not handled yet; undefined for a live subscriber that has handled nothing. */
      let next = fromRevision;
      /** Delivers one event if it is a message; false when this subscriber's stream ended. */
      const deliver = (event: WatchEvent): boolean => {
        if (next === undefined || event.revision >= next) next = event.revision + 1n;
        if (event.type !== 'put' || !isMessageKey(event.key, this.prefix)) return true;
        let value: T;
        try {
          value = this.codec.decode(event.value);
        } catch (cause) {
          if (onDecodeError === 'skip') return true;
          subscriber.error(new DecodeError(event.key, event.value, event.revision, { cause }));
          return false;
        }
        subscriber.next({ topic: this.name, value, revision: event.revision });
        return true;
      };
      /** Watches from `next`; on a compaction with 'retained', replays the retained messages from `next`, then watches on. */
      const follow = (): void => {
        if (stopped) return;
        inner = this.store.watch(this.prefix, { prefix: true, fromRevision: next }).subscribe({
          next: deliver,
          error: (error: unknown) => {
            if (error instanceof CompactedError && onCompacted === 'retained' && next !== undefined) fallBack(next);
            else subscriber.error(error);
          },
          complete: () => subscriber.complete(),
        });
      };
      const fallBack = (from: bigint): void => {
        this.replayRetained(from, deliver, () => stopped).then(
          (revision) => {
            if (next === undefined || revision >= next) next = revision + 1n;
            follow();
          },
          // Compacted between two pages of the replay: replay again from what is still unhandled.
          (e: unknown) => (e instanceof CompactedError && next !== undefined && !stopped ? fallBack(next) : subscriber.error(e)),
        );
      };
      follow();
      return () => {
        stopped = true;
        inner?.unsubscribe();
      };
    });
  }

  /** Replays the retained messages with revision >= `from`, read at one revision R; returns R. */
  private async replayRetained(from: bigint, deliver: (event: WatchEvent) => boolean, stopped: () => boolean): Promise<bigint> {
    const range = this.store.prefix(this.prefix);
    let revision: bigint | undefined;
    let min = from;
    for (;;) {
      const page = await this.store.range({
        ...range,
        revision,
        minModRevision: min,
        sortTarget: 'mod',
        sortOrder: 'ascend',
        limit: REPLAY_PAGE,
      });
      revision ??= page.header.revision;
      for (const wire of page.kvs) {
        if (stopped()) return revision;
        const kv = this.store.toKeyValue(wire);
        if (!deliver({ type: 'put', key: kv.key, value: kv.value, revision: kv.modRevision, kv })) return revision;
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last) return revision;
      min = last.modRevision + 1n;
    }
  }
}
