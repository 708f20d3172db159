/**
 * Mutex with the algorithm and key layout of etcd's Go `concurrency.Mutex`
 * (and so of `etcdctl lock`): the key `${name}/${leaseIdHex}` on the client's
 * shared session lease; the holder is the key with the smallest create
 * revision under `${name}/`; a waiter watches only its immediate predecessor.
 * Unlike Go, keys of longer names under the same prefix (mutex `${name}/x`)
 * are not counted (see `own-keys.ts`), so nested names never block each other.
 *
 * Every lock of a client shares one session lease, so one key per name: the
 * `acquire()`s of one name inside one client first queue locally, FIFO
 * ({@link localQueueFor}), then one at a time take the etcd key.
 * @module
 * @internal
 */
import { DeadlockError, InvalidArgumentError } from '../errors.js';
import { HeldLock } from '../kit/held-lock.js';
import { localQueueFor, type LocalSlot } from '../kit/local-queue.js';
import { dequeueKey, enqueueSessionKey, waitForTurn } from '../kit/session-key.js';
import { heldKeysWatch } from '../kit/shared-watch.js';
import type { Store } from '../kit/store.js';
import { bounded, checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { WaitOptions } from '../types.js';
import type { Lock, Mutex } from './api.js';
import { holdsInContext, runHolding } from './held-context.js';

class MutexImpl implements Mutex {
  constructor(
    private readonly store: Store,
    private readonly name: string,
  ) {}

  async acquire(opts: WaitOptions = {}): Promise<Lock> {
    checkWaitOptions(opts);
    this.store.checkOpen();
    const queue = localQueueFor(this.store, `${this.name}/`);
    if (holdsInContext(queue)) {
      throw new DeadlockError(`mutex ${JSON.stringify(this.name)} is already held by this async context (a nested withLock of the same mutex would wait for itself)`);
    }
    const scope = new WaitScope(opts);
    try {
      const slot = await queue.take(scope.signal);
      try {
        return await this.acquireWithSlot(slot, scope);
      } catch (error) {
        slot.release();
        throw error;
      }
    } finally {
      scope.dispose();
    }
  }

  async tryAcquire(opts: WaitOptions = {}): Promise<Lock | undefined> {
    this.store.checkOpen();
    return bounded(opts, () => this.tryOnce(), (late) => late?.release());
  }

  private async tryOnce(): Promise<Lock | undefined> {
    const slot = localQueueFor(this.store, `${this.name}/`).tryTake();
    if (!slot) return undefined;
    const unwatch = heldKeysWatch(this.store).retain();
    try {
      const queued = await enqueueSessionKey(this.store, this.name, new Uint8Array(0), 'recreate');
      if (queued.owner) return new HeldLock({ store: this.store, session: queued.session, storedKey: queued.key, revision: queued.revision, slot });
      await dequeueKey(this.store, queued);
      slot.release();
      return undefined;
    } catch (error) {
      slot.release();
      throw error;
    } finally {
      unwatch();
    }
  }

  async withLock<R>(fn: (lock: Lock) => Promise<R>, opts: WaitOptions = {}): Promise<R> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('withLock needs a function');
    const lock = await this.acquire(opts);
    try {
      return await runHolding(localQueueFor(this.store, `${this.name}/`), () => fn(lock));
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  private async acquireWithSlot(slot: LocalSlot, scope: WaitScope): Promise<Lock> {
    // Opened before the enqueue, so it has usually started by the time the txn answers (no read to fill a gap).
    const unwatch = heldKeysWatch(this.store).retain();
    try {
      const queued = await enqueueSessionKey(this.store, this.name, new Uint8Array(0), 'recreate');
      await waitForTurn(this.store, this.name, queued, scope);
      return new HeldLock({ store: this.store, session: queued.session, storedKey: queued.key, revision: queued.revision, slot });
    } finally {
      unwatch();
    }
  }
}

/**
 * A mutex named `name`, compatible with Go's `concurrency.NewMutex(s, name)` and `etcdctl lock name`.
 *
 * @example
 * ```ts
 * const m = client.mutex('jobs/nightly');
 * await m.withLock(async (lock) => {
 *   await lock.putIfHeld('jobs/nightly/state', 'running'); // written only while the lock is held
 * });
 * ```
 */
export function createMutex(store: Store, name: string): Mutex {
  return new MutexImpl(store, name);
}
