/**
 * Topics: pub/sub between services.
 *
 * ## Design
 * Each message is its own key, `__topics/<name>/<time>-<random>` (see
 * `layout.ts`), written by one txn that also enforces the retention: it deletes
 * the keys older than `maxAgeMs` (a range delete up to the cutoff time, no read
 * needed) and counts the topic's keys; once the count passes
 * `maxMessages + slack` (slack = 10%) the publisher deletes the oldest keys
 * down to `maxMessages`. So the stored keys of a topic stay bounded with no
 * daemon, and every message is one put event in revision order.
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
import { op, rangeOf, Store } from '../kit/store.js';
import { consume } from './consume.js';
import { isMessageKey, messageSuffix, timeField, topicPrefix } from './layout.js';
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

  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly codec: Codec<T>,
    private readonly retention: Retention,
  ) {
    this.prefix = topicPrefix(name);
  }

  async publish(value: T): Promise<{ revision: bigint }> {
    const now = Date.now();
    const key = this.store.key(this.prefix + messageSuffix(now));
    const bytes = encodeValue(this.codec, value, key, this.store.maxRequestBytes);
    const { maxMessages, maxAgeMs, slack } = this.retention;
    const ops = [op.put({ key, value: bytes })];
    if (maxAgeMs !== Infinity) {
      ops.push(op.del({ key: this.store.key(this.prefix), rangeEnd: this.store.key(this.prefix + timeField(now - maxAgeMs)) }));
    }
    const counted = maxMessages !== Infinity;
    if (counted) ops.push(op.range({ ...this.messageRange(), countOnly: true }));
    const res = await this.store.txn({ compare: [], success: ops, failure: [] });
    if (counted && rangeOf(res, ops.length - 1).count > BigInt(maxMessages + slack)) await this.trim();
    return { revision: res.header.revision };
  }

  consume(handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>, opts: ConsumeOptions): Promise<void> {
    return consume(this.store, this.name, this.codec, handler, opts);
  }

  /** The stored range of the message keys (they start with a digit; consumer-group member keys sort after them). */
  private messageRange(): { key: Uint8Array; rangeEnd: Uint8Array } {
    return this.store.between(`${this.prefix}0`, `${this.prefix}:`);
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

  /** Deletes the oldest messages down to `maxMessages`. Best effort: the publish already succeeded, and the next one retries. */
  private async trim(): Promise<void> {
    const { maxMessages } = this.retention;
    const range = this.messageRange();
    try {
      const oldest = await this.store.range({ ...range, keysOnly: true, limit: BigInt(this.retention.slack) * 2n });
      const excess = Number(oldest.count) - maxMessages;
      const last = oldest.kvs[Math.min(excess, oldest.kvs.length) - 1];
      if (excess <= 0 || !last) return;
      await this.store.deleteRange({ key: range.key, rangeEnd: Uint8Array.of(...last.key, 0) });
    } catch {
      // unreachable or closed: retention is enforced again at the next publish
    }
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
