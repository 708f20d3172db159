/**
 * Public contracts of topics and consumer groups: {@link Topic}, its messages and options.
 * @module
 */
import type { Observable } from 'rxjs';
import type { AsyncValueIterator, IterateOptions } from '../events/async-iterable.js';
import type { Codec, Rev } from '../types.js';

/**
 * One message of a topic, with the revision that stored it (the position to replay from).
 *
 * @example
 * ```ts
 * client.topic<{ id: number }>('orders').messages$().subscribe((m) => console.log(m.topic, m.revision, m.value.id));
 * ```
 */
export interface TopicMessage<T> {
  topic: string;
  value: T;
  revision: Rev;
}

/**
 * How much of a topic stays stored as keys. Trimming is done by each publishing
 * client's one trimmer per topic (no daemon; a steady-state `publish()` is one write: a Put, or a txn that also carries the trim).
 * Replay by `fromRevision` reaches further: as far back as etcd's history (until compaction).
 *
 * @example
 * ```ts
 * const metrics = client.topic('metrics', { retention: { maxMessages: 10_000, maxAgeMs: 3_600_000 } });
 * ```
 */
export interface TopicRetention {
  /** Keep the newest `maxMessages` (trimmed in bulk, never more than 10% over when a publish returns, besides the publishes in flight). Default 1000; `Infinity` for no count bound. */
  maxMessages?: number;
  /** Drop messages older than this, by publish time: publishing clients sweep them every `maxAgeMs / 10` (100 ms to 1 min). Default 86 400 000 (24 h); `Infinity` for no age bound. */
  maxAgeMs?: number;
}

/**
 * Options of {@link Conclave.topic}.
 *
 * @example
 * ```ts
 * const logs = client.topic<string>('logs', { codec: stringCodec, retention: { maxMessages: 500 } });
 * ```
 */
export interface TopicOptions<T> {
  /** Encodes message values. Default JSON. */
  codec?: Codec<T>;
  /** The stored window. At least one bound must be finite. */
  retention?: TopicRetention;
}

/**
 * Options of {@link Topic.messages$}.
 *
 * @example
 * ```ts
 * orders.messages$({ fromRevision: lastSeen + 1n, onDecodeError: 'skip', onCompacted: 'retained' })
 *   .subscribe((m) => { lastSeen = m.revision; handle(m.value); });
 * ```
 */
export interface MessagesOptions {
  /** Replay every message from this revision on, then continue live. */
  fromRevision?: Rev;
  /** A value the codec cannot decode: `'error'` (default) ends this subscriber's stream with a `DecodeError` (carrying the bytes and revision); `'skip'` drops it. Other subscribers are never affected. */
  onDecodeError?: 'error' | 'skip';
  /** When the history from `fromRevision` is compacted: `'error'` (default) errors with `CompactedError`; `'retained'` replays what the topic still retains from `fromRevision` on (messages trimmed meanwhile are missing), then continues live. The same holds for every later compaction found on resuming (e.g. after an outage): `'retained'` replays from the message after the last one delivered, never one twice. */
  onCompacted?: 'error' | 'retained';
}

/**
 * A pub/sub topic: every subscriber sees every message published after it subscribed, in order, exactly once.
 *
 * @example
 * ```ts
 * const orders = client.topic<{ id: number }>('orders');
 * orders.messages$().subscribe((m) => console.log('order', m.value.id));
 * await orders.publish({ id: 1 });
 * for await (const m of orders.messages({ signal: AbortSignal.timeout(60_000) })) console.log(m.value);
 * ```
 */
export interface Topic<T> {
  /** Publishes `value`; resolves with the message's revision. */
  publish(value: T): Promise<{ revision: Rev }>;
  /** Live, or replay from a revision then live. */
  messages$(opts?: MessagesOptions): Observable<TopicMessage<T>>;
  /** {@link Topic.messages$} as an async iterator: `for await (const m of topic.messages())`; `break` or `signal` unsubscribes. */
  messages(opts?: MessagesOptions & IterateOptions): AsyncValueIterator<TopicMessage<T>>;
  /**
   * Joins consumer group `opts.group`: each group receives every message, and within a group each
   * message is handled by one live member at a time, at least once. Resolves once `opts.signal`
   * aborted and running handlers settled; rejects with `CompactedError` when the group's position
   * fell out of etcd's history and the topic's retained messages, `ClosedError` when the client closes.
   */
  consume(handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>, opts: ConsumeOptions): Promise<void>;
}

/**
 * What a consumer-group handler gets beside the message.
 *
 * @example
 * ```ts
 * await orders.consume(async (m, { signal, attempt }) => { await bill(m.value, { signal }); }, { group: 'billing' });
 * ```
 */
export interface ConsumeContext {
  /** Aborted when this member loses the message (its session ended, or the client closed): another member will get it. */
  signal: AbortSignal;
  /** 1 for the first delivery, then 2, 3, ... */
  attempt: number;
}

/**
 * Options of {@link Topic.consume}. A dead message goes to the `deadLetter` queue with, in the
 * same txn, its error record as the jobs keep it: JSON at
 * `__jobs/<encodeURIComponent(deadLetter)>/dead/<k>` for the item `${deadLetter}/<k>`,
 * `{ queue: topic, key, group, revision, attempt, error: { name, message, code?, stack? }, at }`.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await orders.consume(handle, { group: 'billing', concurrency: 4, startAt: 'earliest', maxDeliveries: 5, signal: stop.signal });
 * ```
 */
export interface ConsumeOptions {
  /** Consumers with the same group name, in any process, share the work. */
  group: string;
  /** Handlers running at once for this consume() call; default 1. */
  concurrency?: number;
  /** Where a NEW group starts: `'latest'` (default: messages published from now on), `'earliest'` (the oldest message the topic retains), or a revision (inclusive). An existing group resumes where it stopped. */
  startAt?: 'latest' | 'earliest' | Rev;
  /** After this many deliveries that did not succeed the message moves to the dead-letter queue; default no limit. */
  maxDeliveries?: number;
  /** Delay before a failed message is delivered again; default 1000. */
  retryDelayMs?: number;
  /** Name of the queue (same client namespace) that receives dead messages (their original values, each with its error record as the jobs keep it); default `${topic}.${group}.dead`. */
  deadLetter?: string;
  /** Stop: resolves once running handlers settled. */
  signal?: AbortSignal;
}
