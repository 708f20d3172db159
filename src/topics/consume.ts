/**
 * `topic.consume(handler, { group })`: consumer groups over a topic.
 *
 * ## Design (what it costs etcd)
 * Members register a key on their session lease under the topic's own prefix,
 * so one watch of the topic gives every member the messages AND the member
 * changes in revision order. Each message belongs to the member that wins
 * rendezvous hashing over the members registered when it was published:
 * every member computes the same owner, and the owner handles it with NO
 * write before the handler. After the handler, the message is marked done;
 * marks of handlers that finished while a mark txn was in flight share the
 * next txn. The oldest member moves a low mark (every message below it is
 * done) at most every 100 ms and deletes the marks below it. In the steady
 * state that is at most one write per message, fewer under load.
 *
 * Claims (a txn that checks the owner's key is gone) happen only for
 * reassignment: the owner left or died, no member was registered when the
 * message was published, or a group starts again on a backlog. A handler
 * that throws is retried by its member after `retryDelayMs`; each retry and
 * claim counts the delivery in etcd (`tries/<r>`), so `maxDeliveries` holds
 * across member deaths. See `group-view.ts` for the assignment rules and
 * `group-writes.ts` for how each write survives a lost reply.
 * @module
 * @internal
 */
import { ClosedError, CompactedError, ConclaveError, InvalidArgumentError } from '../errors.js';
import type { Codec } from '../types.js';
import type { ConsumeContext, ConsumeOptions, TopicMessage } from './api.js';
import { checkName, checkPositiveInt, checkRevision, checkSignal } from '../validate.js';
import { Backoff, sleep } from '../backoff.js';
import type { Store } from '../kit/store.js';
import { groupLayout } from './group-layout.js';
import { runMembership, type MemberContext } from './group-member.js';

/** A membership that lasted this long starts the rejoin backoff over. */
const STABLE_MS = 10_000;

/**
 * Joins consumer group `opts.group` of topic `topic` and handles its share of
 * the messages until `opts.signal` aborts.
 *
 * @example
 * ```ts
 * const orders = client.topic<{ id: number }>('orders');
 * const stop = new AbortController();
 * const done = orders.consume(async (m, { attempt }) => bill(m.value, attempt), { group: 'billing', concurrency: 4, maxDeliveries: 5, signal: stop.signal });
 * // ... later
 * stop.abort();
 * await done; // running handlers have settled
 * ```
 */
export async function consume<T>(
  store: Store,
  topic: string,
  codec: Codec<T>,
  handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>,
  opts: ConsumeOptions,
): Promise<void> {
  const ctx = resolve(store, topic, codec, handler, opts);
  const stop = opts.signal ?? new AbortController().signal;
  const backoff = new Backoff(100, 2000);
  for (;;) {
    if (stop.aborted) return;
    if (store.closed) throw new ClosedError();
    const started = performance.now();
    try {
      if ((await runMembership(ctx, stop)) === 'stopped') return;
    } catch (error) {
      if (store.closed) throw new ClosedError();
      if (error instanceof CompactedError || !(error instanceof ConclaveError) || !error.retryable) throw error;
    }
    if (performance.now() - started > STABLE_MS) backoff.reset();
    await sleep(backoff.next(), stop).catch(() => undefined);
  }
}

function resolve<T>(
  store: Store,
  topic: string,
  codec: Codec<T>,
  handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>,
  opts: ConsumeOptions,
): MemberContext<T> {
  if (typeof handler !== 'function') throw new InvalidArgumentError('handler must be a function');
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('consume options must be an object with a group');
  checkName(opts.group, 'group');
  checkSignal(opts.signal);
  const concurrency = opts.concurrency ?? 1;
  checkPositiveInt(concurrency, 'concurrency');
  const maxDeliveries = opts.maxDeliveries ?? Infinity;
  if (maxDeliveries !== Infinity) checkPositiveInt(maxDeliveries, 'maxDeliveries');
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  if (typeof retryDelayMs !== 'number' || !Number.isFinite(retryDelayMs) || retryDelayMs < 0) {
    throw new InvalidArgumentError(`retryDelayMs must be a non-negative number, got ${String(retryDelayMs)}`);
  }
  const deadLetter = opts.deadLetter ?? `${topic}.${opts.group}.dead`;
  checkName(deadLetter, 'deadLetter');
  const startAt = opts.startAt ?? 'latest';
  if (startAt !== 'latest' && startAt !== 'earliest') {
    checkRevision(startAt, 'startAt');
    if (startAt === 0n) throw new InvalidArgumentError(`startAt must be 'latest', 'earliest' or a revision >= 1`);
  }
  return {
    store,
    layout: groupLayout(topic, opts.group),
    startAt,
    config: { topic, group: opts.group, codec, handler, concurrency, maxDeliveries, retryDelayMs, deadLetter },
  };
}
