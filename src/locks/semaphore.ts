/**
 * Counting semaphore: at most `permits` holders. Each acquisition creates a
 * unique key `${name}/${nanos}` on the session lease (etcd recipes' unique
 * ephemeral key); holders are ordered by create revision, and an acquisition
 * holds while fewer than `permits` keys under `${name}/` are older than its own.
 * A waiter waits for the delete of any of the `permits` keys just ahead of it:
 * only those can make it a holder, so a release wakes at most `permits`
 * waiters (through one prefix watch per client), never the whole queue.
 * @module
 * @internal
 */
import { UNIQUE_SUFFIX } from '../kit/own-keys.js';
import type { Store } from '../kit/store.js';
import { bounded, checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { WaitOptions } from '../types.js';
import type { Lock, Semaphore } from './api.js';
import { checkPositiveInt } from '../validate.js';
import { acquireQueuedKey, type QueuedKeyLockSpec } from './queued-key-lock.js';

class SemaphoreImpl implements Semaphore {
  private readonly spec: QueuedKeyLockSpec;

  constructor(
    private readonly store: Store,
    name: string,
    permits: number,
  ) {
    this.spec = { keyPrefix: name, blockersPrefix: `${name}/`, slots: permits, blockersShape: UNIQUE_SUFFIX, watchPrefix: `${name}/` };
  }

  async acquire(opts: WaitOptions = {}): Promise<Lock> {
    checkWaitOptions(opts);
    this.store.checkOpen();
    const scope = new WaitScope(opts);
    try {
      return (await acquireQueuedKey(this.store, this.spec, scope))!;
    } finally {
      scope.dispose();
    }
  }

  async tryAcquire(opts: WaitOptions = {}): Promise<Lock | undefined> {
    this.store.checkOpen();
    return bounded(opts, () => acquireQueuedKey(this.store, this.spec, undefined), (late) => late?.release());
  }
}

/**
 * A semaphore named `name` with `permits` permits (a positive integer, else `InvalidArgumentError`).
 *
 * @example
 * ```ts
 * const pool = client.semaphore('gpu', 3);
 * await using permit = await pool.acquire({ timeoutMs: 10_000 });
 * ```
 */
export function createSemaphore(store: Store, name: string, permits: number): Semaphore {
  checkPositiveInt(permits, 'permits');
  return new SemaphoreImpl(store, name, permits);
}
