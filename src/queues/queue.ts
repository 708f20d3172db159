/**
 * FIFO queue in the layout of etcd's Go recipe (`recipe.NewQueue(client, name)`):
 * each item is a key `${name}/<unixNano>` created with a `version == 0` guard
 * (key.go `newUniqueKV`), served in create-revision order.
 *
 * Delivery: `dequeue()` claims the item (a marker on the session lease,
 * guarded by the item's mod revision), then deletes item and marker together
 * (so each item goes to exactly one dequeuer, and is never deleted for a caller
 * that has gone) — at-most-once: if the consumer dies after `dequeue()`
 * resolved, the item is gone. `claim()` is at-least-once: the item is hidden by
 * the marker until `ack()`, and served again if that session is lost. Lost
 * replies are settled by reading back (see `markers.ts`).
 *
 * `enqueue()` is not re-sent after an unknown outcome: its `ConnectionError`
 * ("may or may not have been applied") means the item may be in the queue, once.
 *
 * Inside a client, waiting consumers of a queue are served one at a time in call
 * order by one dispatcher (see `dispatcher.ts`): an enqueue wakes one reader per
 * client, not every waiting call.
 * @module
 * @internal
 */
import type { Codec, WaitOptions } from '../types.js';
import type { EnqueueOptions, Job, ProcessOptions, Queue, QueueClaim } from './api.js';
import { encodeValue } from '../kit/encode.js';
import { op, Store } from '../kit/store.js';
import { uniqueNanos } from '../kit/unique-key.js';
import { QueueConsumer } from './consumer.js';
import { checkDelay, enqueueDelayed } from './delays.js';
import { fifoLayout, type QueueLayout } from './layout.js';
import { runProcess } from './process.js';

/**
 * Creates the FIFO queue `name`.
 *
 * @example
 * ```ts
 * const jobs = client.queue<{ id: number }>('jobs');
 * await jobs.enqueue({ id: 1 });
 * const job = await jobs.dequeue();              // { id: 1 }
 * await using claim = await jobs.claim();        // at-least-once
 * await handle(claim.value);
 * await claim.ack();
 * ```
 */
export function createQueue<T>(store: Store, name: string, codec: Codec<T>): Queue<T> {
  return new QueueImpl(store, name, codec);
}

class QueueImpl<T> implements Queue<T> {
  private readonly consumer: QueueConsumer<T>;
  private readonly layout: QueueLayout;

  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly codec: Codec<T>,
  ) {
    this.layout = fifoLayout(name);
    this.consumer = new QueueConsumer(this.store, this.layout, codec);
  }

  async enqueue(value: T, opts?: EnqueueOptions): Promise<void> {
    const probe = this.store.key(`${this.name}/${uniqueNanos()}`);
    const bytes = encodeValue(this.codec, value, probe, this.store.maxRequestBytes);
    if (opts?.delayMs !== undefined) checkDelay(opts.delayMs);
    this.store.checkOpen();
    if (opts?.delayMs) {
      await enqueueDelayed(this.store, this.name, bytes, opts.delayMs);
      return;
    }
    for (;;) {
      const key = this.store.key(`${this.name}/${uniqueNanos()}`);
      const res = await this.store.txn({
        compare: [{ target: 'version', result: 'equal', key, value: 0n }],
        success: [op.put({ key, value: bytes })],
        failure: [],
      });
      if (res.succeeded) return;
    }
  }

  dequeue(opts?: WaitOptions): Promise<T> {
    return this.consumer.dequeue(opts);
  }

  claim(opts?: WaitOptions): Promise<QueueClaim<T>> {
    return this.consumer.claim(opts);
  }

  process(handler: (value: T, job: Job) => Promise<void>, opts?: ProcessOptions): Promise<void> {
    return runProcess({ store: this.store, layout: this.layout, codec: this.codec }, handler, opts);
  }
}
