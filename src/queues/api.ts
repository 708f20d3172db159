/**
 * Public contracts of the queues and jobs: {@link Queue}, {@link PriorityQueue}, a claimed item
 * ({@link QueueClaim}) and a job's delivery ({@link Job}).
 * @module
 */
import type { WaitOptions } from '../types.js';

/**
 * An item claimed from a queue (at-least-once delivery): hidden from other
 * consumers by a marker on the client's session lease until `ack()`; served
 * again if the session is lost first, or after `release()`.
 *
 * @example
 * ```ts
 * await using job = await client.queue<{ id: number }>('jobs').claim();
 * await process(job.value);
 * await job.ack(); // without ack, `await using` puts it back for another consumer
 * ```
 */
export interface QueueClaim<T> extends AsyncDisposable {
  readonly value: T;
  /** The item's key. */
  readonly key: string;
  /** Aborted when the claim ends: acknowledged, released, or lost with the session (`LockLostError`). */
  readonly signal: AbortSignal;
  /** Removes the item for good. Rejects with `LockLostError` if the claim was lost (the item may be served again). Idempotent. */
  ack(): Promise<void>;
  /** Returns the item to the queue, at its place. Idempotent; a no-op after `ack()`. `await using` calls it. */
  release(): Promise<void>;
}

/**
 * Options of `enqueue` (both queues).
 *
 * @example
 * ```ts
 * await client.queue('mail').enqueue({ to: 'a@b.c' }, { delayMs: 60_000 }); // not delivered before a minute
 * ```
 */
export interface EnqueueOptions {
  /** Not delivered before this many ms (then FIFO by due time). Delayed items wait beside the queue, under `__jobs/`, until a `process()` consumer moves them in. */
  delayMs?: number;
}

/**
 * One delivery of an item to a `process()` handler.
 *
 * @example
 * ```ts
 * await queue.process(async (value, job) => {
 *   console.log(job.id, 'attempt', job.attempt);
 *   await fetch(url, { signal: job.signal }); // aborted when the delivery is lost (visibility timeout, session lost, stop)
 * });
 * ```
 */
export interface Job {
  /** The item's key: the same across deliveries. */
  readonly id: string;
  /** 1, 2, ...: every delivery counts, whatever ended the earlier ones. */
  readonly attempt: number;
  /** Aborted when this delivery is lost: visibility timeout (`TimeoutError`), lost session (`LockLostError`). */
  readonly signal: AbortSignal;
}

/**
 * Options of `process()` (both queues).
 *
 * @example
 * ```ts
 * await queue.process(handle, { concurrency: 4, maxDeliveries: 5, retryDelayMs: 2_000, visibilityTimeoutMs: 60_000, signal });
 * ```
 */
export interface ProcessOptions {
  /** Handlers running at once for this `process()` call; default 1. */
  concurrency?: number;
  /** A handler still running after this loses the item: `job.signal` aborts and it is redelivered; default none. */
  visibilityTimeoutMs?: number;
  /** After this many deliveries that did not succeed the item moves to the dead-letter queue; default no limit. */
  maxDeliveries?: number;
  /** Name of the queue (same client namespace) that receives it; default `${name}.dead`. */
  deadLetter?: string;
  /** Delay before a failed item is delivered again; default 1000. */
  retryDelayMs?: number;
  /** Stop taking items; `process()` resolves once running handlers settled. */
  signal?: AbortSignal;
}

/**
 * A FIFO queue (etcd's `recipe.Queue` layout): each item goes to exactly one consumer.
 *
 * @example
 * ```ts
 * const jobs = client.queue<{ id: number }>('jobs');
 * await jobs.enqueue({ id: 1 });
 * const next = await jobs.dequeue({ signal: AbortSignal.timeout(30_000) }); // { id: 1 }
 * ```
 */
export interface Queue<T> {
  /** With `delayMs`, not delivered before that many ms. */
  enqueue(value: T, opts?: EnqueueOptions): Promise<void>;
  /** Waits; each item goes to exactly one dequeuer. At-most-once: the item is deleted when taken. */
  dequeue(opts?: WaitOptions): Promise<T>;
  /** Waits, like `dequeue`, but at-least-once: the item stays until `ack()`, and comes back if this client's session is lost. */
  claim(opts?: WaitOptions): Promise<QueueClaim<T>>;
  /**
   * Jobs: runs `handler` for each item, at least once (deleted only after the handler resolved);
   * a throw, a lost session or a visibility timeout redelivers it with `attempt + 1`, up to
   * `maxDeliveries`, then it moves to the dead-letter queue. Resolves once `opts.signal` aborted
   * and running handlers settled; rejects with `ClosedError` when the client closes.
   */
  process(handler: (value: T, job: Job) => Promise<void>, opts?: ProcessOptions): Promise<void>;
}

/**
 * A priority queue (etcd's `recipe.PriorityQueue` layout): the lowest priority number first.
 *
 * @example
 * ```ts
 * const work = client.priorityQueue<string>('work');
 * await work.enqueue('rebuild index', 10);
 * await work.enqueue('page on-call', 0);
 * console.log(await work.dequeue()); // 'page on-call'
 * ```
 */
export interface PriorityQueue<T> {
  /** Lower number = served first; FIFO within a priority. `priority` is an integer in 0..65535. */
  enqueue(value: T, priority: number, opts?: EnqueueOptions): Promise<void>;
  dequeue(opts?: WaitOptions): Promise<T>;
  /** At-least-once, as {@link Queue.claim}. */
  claim(opts?: WaitOptions): Promise<QueueClaim<T>>;
  /** Jobs, as {@link Queue.process}. */
  process(handler: (value: T, job: Job) => Promise<void>, opts?: ProcessOptions): Promise<void>;
}
