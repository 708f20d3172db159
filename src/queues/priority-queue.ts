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
import type { ConclaveClient } from '../client.js';
import { InvalidArgumentError } from '../errors.js';
import type { Compare, RequestOp } from '../transport/index.js';
import type { Codec, WaitOptions } from '../types.js';
import type { EnqueueOptions, Job, PriorityQueue, ProcessOptions, QueueClaim } from './api.js';
import { encodeValue } from '../recipes/encode.js';
import { op, rangeOf, Store } from '../recipes/store.js';
import { checkDelay, enqueueDelayed } from './delays.js';
import { runProcess } from './process.js';
import { QueueConsumer } from './consumer.js';
import { MAX_PRIORITY, priorityField, priorityLayout, sequenceField, type QueueLayout } from './layout.js';

const EMPTY = new Uint8Array(0);

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
export function createPriorityQueue<T>(client: ConclaveClient, name: string, codec: Codec<T>): PriorityQueue<T> {
  return new PriorityQueueImpl(client, name, codec);
}

class PriorityQueueImpl<T> implements PriorityQueue<T> {
  private readonly store: Store;
  private readonly consumer: QueueConsumer<T>;
  private readonly layout: QueueLayout;

  constructor(
    client: ConclaveClient,
    private readonly name: string,
    private readonly codec: Codec<T>,
  ) {
    this.store = new Store(client);
    this.layout = priorityLayout(name);
    this.consumer = new QueueConsumer(this.store, this.layout, codec);
  }

  async enqueue(value: T, priority: number, opts?: EnqueueOptions): Promise<void> {
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
      throw new InvalidArgumentError(`priority must be an integer between 0 and ${MAX_PRIORITY}, got ${String(priority)}`);
    }
    const prefix = `${this.name}/${priorityField(priority)}`;
    const bytes = encodeValue(this.codec, value, this.store.key(`${prefix}/${sequenceField(0n)}`), this.store.core.maxRequestBytes, prefix.length + 64);
    if (opts?.delayMs !== undefined) checkDelay(opts.delayMs);
    this.store.core.checkOpen();
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

/**
 * Puts `bytes` as the next item of `priority` (Go's `newSequentialKV`). With
 * `guard`, the txn also holds its compares and runs its ops (e.g. the move of a
 * delayed item): resolves false when a guard compare failed (nothing written).
 */
export async function putSequential(
  store: Store,
  name: string,
  priority: number,
  bytes: Uint8Array,
  guard?: { compare: Compare[]; success: RequestOp[] },
): Promise<boolean> {
  const prefix = `${name}/${priorityField(priority)}`;
  const base = store.key(`__${prefix}`);
  for (;;) {
    const last = await store.range({ ...store.prefix(`${prefix}/`), sortOrder: 'descend', sortTarget: 'key', limit: 1n, keysOnly: true });
    const lastKey = last.kvs[0] ? store.userKey(last.kvs[0].key) : undefined;
    const next = lastKey === undefined ? 0n : sequenceOf(lastKey) + 1n;
    const baseGuard: Compare = { target: 'mod', result: 'less', key: base, value: last.header.revision + 1n };
    const res = await store.txn({
      compare: [baseGuard, ...(guard?.compare ?? [])],
      success: [op.put({ key: base, value: EMPTY }), op.put({ key: store.key(`${prefix}/${sequenceField(next)}`), value: bytes }), ...(guard?.success ?? [])],
      failure: guard ? [op.range({ key: base, keysOnly: true })] : [],
    });
    if (res.succeeded) return true;
    // Another producer took the number (the base key moved): try the next one; else a guard of the caller failed.
    if (guard && (rangeOf(res, 0).kvs[0]?.modRevision ?? 0n) <= last.header.revision) return false;
  }
}

/** The sequence number in the last path field of a priority-queue key (Go: `Sscanf(field, "%d")`). */
function sequenceOf(key: string): bigint {
  const field = key.slice(key.lastIndexOf('/') + 1);
  if (!/^[0-9]+$/.test(field)) throw new InvalidArgumentError(`priority queue key ${key} does not end in a sequence number`);
  return BigInt(field);
}
