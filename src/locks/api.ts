/**
 * Public contracts of the locks: {@link Mutex}, {@link RWLock}, {@link Semaphore} and the
 * {@link Lock} they hand out.
 * @module
 */
import type { Observable } from 'rxjs';
import type { FencedWrites, Rev, WaitOptions } from '../types.js';

/**
 * A held lock (mutex, read/write lock, or semaphore permit). Its `fencingToken` grows with every
 * acquisition: for writes to etcd use {@link FencedWrites}; for any other resource, send the token
 * with each write and have the resource refuse tokens lower than the highest it accepted, so a
 * holder that lost the lock (a long GC pause, a partition) cannot overwrite the next one's work.
 *
 * @example
 * ```ts
 * await using lock = await client.mutex('reports').acquire();
 * lock.signal.addEventListener('abort', () => console.log('stop working:', lock.signal.reason), { once: true });
 * await storage.write('report', data, { fencingToken: lock.fencingToken }); // the store refuses older tokens
 * ```
 */
export interface Lock extends AsyncDisposable, FencedWrites {
  /** The lock key, e.g. `${name}/${leaseIdHex}` as Go's `concurrency.Mutex` writes it. */
  readonly key: string;
  /** The lock key's create revision, strictly increasing per lock: a fencing token (see {@link Lock}). */
  readonly fencingToken: Rev;
  /** Emits (then completes) if the lock is lost before release (session lost, key deleted); completes without emitting on release or `client.close()`. */
  readonly lost$: Observable<void>;
  /** Aborted when the lock ends: with `LockLostError` when lost, `ClosedError` when released or the client closed. */
  readonly signal: AbortSignal;
  /** Deletes the lock key (only if it is still this lock's). Idempotent. */
  release(): Promise<void>;
}

/**
 * A distributed mutex, compatible with etcd's Go `concurrency.Mutex` and `etcdctl lock`.
 *
 * @example
 * ```ts
 * const mutex = client.mutex('jobs/nightly');
 * const lock = await mutex.acquire({ timeoutMs: 10_000 });
 * try {
 *   await rebuild(lock.signal);
 * } finally {
 *   await lock.release();
 * }
 * const maybe = await mutex.tryAcquire(); // undefined when held elsewhere
 * ```
 */
export interface Mutex {
  /** Waits for the lock, FIFO by create revision. */
  acquire(opts?: WaitOptions): Promise<Lock>;
  /** Takes the lock if it is free, leaving no key behind when it is not; `timeoutMs` / `signal` bound only the round trip (a late result is released). */
  tryAcquire(opts?: WaitOptions): Promise<Lock | undefined>;
  /** Runs `fn` holding the lock, and releases it after. */
  withLock<R>(fn: (lock: Lock) => Promise<R>, opts?: WaitOptions): Promise<R>;
}

/**
 * Many readers or one writer.
 *
 * @example
 * ```ts
 * const rw = client.rwlock('catalog');
 * const reading = await rw.readLock();   // many readers at once
 * await reading.release();
 * const writing = await rw.writeLock();  // waits for every reader to leave
 * await writing.release();
 * ```
 */
export interface RWLock {
  readLock(opts?: WaitOptions): Promise<Lock>;
  writeLock(opts?: WaitOptions): Promise<Lock>;
}

/**
 * At most `permits` holders at once.
 *
 * @example
 * ```ts
 * const slots = client.semaphore('gpu', 2); // at most 2 holders cluster-wide
 * await using permit = await slots.acquire({ timeoutMs: 30_000 });
 * ```
 */
export interface Semaphore {
  acquire(opts?: WaitOptions): Promise<Lock>;
  /** Never waits for the lock; `timeoutMs` / `signal` bound only the round trip (a late result is released). */
  tryAcquire(opts?: WaitOptions): Promise<Lock | undefined>;
}
