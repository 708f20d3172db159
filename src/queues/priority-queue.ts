/**
 * Priority queue in the layout of etcd's Go recipe (`recipe.NewPriorityQueue(client, name)`):
 * items at `${name}/%05d/%016d` — the priority (0..65535, Go's `uint16`), then a
 * sequence number allocated like key.go `newSequentialKV`: read the last key of
 * the priority, add one, and write it in a txn that also touches the
 * bookkeeping key `__${name}/%05d`, guarded by that key's mod revision (so two
 * producers never get the same number). Served in key order: lower priority
 * number first, FIFO within a priority.
 *
 * Delivery as for the FIFO queue: `dequeue()` at-most-once, `claim()` at-least-once;
 * an item is never written again by a consumer, so a sequence number reused
 * after the last item of a priority was taken never has its item overwritten.
 * @module
 * @internal
 */
import { InvalidArgumentError } from '../errors.js';
import type { Codec, WaitOptions } from '../types.js';
import type { EnqueueOptions, Job, PriorityQueue, ProcessOptions, QueueClaim } from './api.js';
import { encodeValue } from '../kit/encode.js';
import type { Store } from '../kit/store.js';
import { checkDelay, enqueueDelayed } from './delays.js';
import { runProcess } from './process.js';
import { QueueConsumer } from './consumer.js';
import { MAX_PRIORITY, priorityField, priorityLayout, sequenceField, type QueueLayout } from './layout.js';
import { putSequential } from './sequential.js';

/**
 * Creates the priority queue `name`.
 *
 * @example
 * ```ts
 * const work = client.priorityQueue<string>('work');
 * await work.enqueue('later', 10);
 * await work.enqueue('urgent', 0);
 * await work.dequeue();                           // 'urgent'
 * ```
 */
export function createPriorityQueue<T>(store: Store, name: string, codec: Codec<T>): PriorityQueue<T> {
  return new PriorityQueueImpl(store, name, codec);
}

class PriorityQueueImpl<T> implements PriorityQueue<T> {
  private readonly consumer: QueueConsumer<T>;
  private readonly layout: QueueLayout;

  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly codec: Codec<T>,
  ) {
    this.layout = priorityLayout(name);
    this.consumer = new QueueConsumer(this.store, this.layout, codec);
  }

  async enqueue(value: T, priority: number, opts?: EnqueueOptions): Promise<void> {
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
      throw new InvalidArgumentError(`priority must be an integer between 0 and ${MAX_PRIORITY}, got ${String(priority)}`);
    }
    const prefix = `${this.name}/${priorityField(priority)}`;
    const bytes = encodeValue(this.codec, value, this.store.key(`${prefix}/${sequenceField(0n)}`), this.store.maxRequestBytes, prefix.length + 64);
    if (opts?.delayMs !== undefined) checkDelay(opts.delayMs);
    this.store.checkOpen();
    if (opts?.delayMs) {
      await enqueueDelayed(this.store, this.name, bytes, opts.delayMs, priority);
      return;
    }
    await putSequential(this.store, this.name, priority, bytes);
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
